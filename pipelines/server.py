"""A real Prefect server as a child process: for the Dask executor (whose workers must all talk to
one server), its test and the scale-out benchmark. `make server` runs the same command in the
foreground."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(port: int) -> list[str]:
    prefect = Path(sys.executable).with_name("prefect")
    return [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)]


@contextmanager
def prefect_server(home: Path, port: int | None = None, timeout: float = 120.0) -> Iterator[str]:
    """Start ``prefect server start`` (analytics off, its database under ``home``), wait until it
    answers, yield its API URL (``http://127.0.0.1:PORT/api``), stop it on exit."""
    port = port or free_port()
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    log = (home / "server.log").open("w")
    proc = subprocess.Popen(server_command(port), env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"prefect server exited with status {proc.returncode}; see {home / 'server.log'}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"prefect server did not answer within {timeout:.0f} s; see {home / 'server.log'}")
            time.sleep(0.5)
        yield url
    finally:
        _stop_group(proc)
        log.close()


def _stop_group(proc: subprocess.Popen) -> None:
    """Stop the server and whatever it started (it runs uvicorn as a child): its whole session."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            os.killpg(proc.pid, signal.SIGKILL)          # any child still in the group
        except ProcessLookupError:
            break
        except subprocess.TimeoutExpired:
            continue
        break


def _drain_prefect_workers() -> None:
    """Flush and stop this process's Prefect event and log senders: they are process-wide and keep
    the API URL they started with (task runs are recorded from events), so a switch of server must
    start fresh ones. The same as prefect_test_harness does when it stops."""
    import inspect

    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.utilities.asyncutils import run_coro_as_sync

    async def drain() -> None:
        try:
            result = APILogWorker.instance().drain()
            if inspect.isawaitable(result):
                await result
        except RuntimeError:
            pass                                        # never started
        result = EventsWorker.drain_all()
        if inspect.isawaitable(result):
            await result

    run_coro_as_sync(drain())


@contextmanager
def use_server(url: str) -> Iterator[None]:
    """Point this process (Prefect settings and event senders) and the processes it starts
    (environment) at ``url``."""
    from prefect.settings import PREFECT_API_URL, temporary_settings
    old = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url
    _drain_prefect_workers()
    try:
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield
            _drain_prefect_workers()
    finally:
        if old is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = old
