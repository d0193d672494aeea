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


def embedded_command(port: int) -> list[str]:
    """The API server alone, in one process (no UI build, no child of its own), so that it can be
    tied to the life of the process that starts it."""
    return [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]


def _die_with_parent() -> None:
    """In the child, before exec: the kernel sends SIGKILL when the parent dies, even by SIGKILL
    (Linux prctl PR_SET_PDEATHSIG); elsewhere nothing."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)      # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass


@contextmanager
def embedded_server(home: Path, timeout: float = 120.0) -> Iterator[str]:
    """Prefect's API server for one `synthgan run`, in place of Prefect's own ephemeral one: its
    database under ``home`` (the PREFECT_HOME `synthgan serve` uses too), stopped when the run ends,
    and killed by the kernel if the run is killed (SIGKILL included)."""
    with prefect_server(home, timeout=timeout, command=embedded_command, tie_to_parent=True, grace=5.0) as url:
        yield url


@contextmanager
def prefect_server(home: Path, port: int | None = None, timeout: float = 120.0, command=server_command,
                   tie_to_parent: bool = False, grace: float = 20.0) -> Iterator[str]:
    """Start ``prefect server start`` (analytics off, its database under ``home``), wait until it
    answers, yield its API URL (``http://127.0.0.1:PORT/api``), stop it on exit."""
    port = port or free_port()
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    log = (home / "server.log").open("w")
    proc = subprocess.Popen(command(port), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=_die_with_parent if tie_to_parent else None)
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
        _stop_group(proc, grace)
        log.close()


def _stop_group(proc: subprocess.Popen, grace: float = 20.0) -> None:
    """Stop the server and whatever it started (it runs uvicorn as a child): its whole session;
    SIGKILL when it has not stopped within ``grace`` seconds (open websockets hold uvicorn up)."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10)):
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
    import prefect.context
    from prefect.settings import PREFECT_API_URL, temporary_settings
    old = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url
    # Threads that do not inherit this context (task-runner threads, Prefect's own workers) read the
    # process-global settings, made from the environment when prefect was imported: renew them, or
    # those threads start an ephemeral server of their own (which then outlives the run).
    refresh = getattr(prefect.context, "refresh_global_settings_context", lambda: None)
    refresh()
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
        refresh()
