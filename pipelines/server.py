"""A real Prefect server as a child process: for the Dask executor (whose workers must all talk to
one server), its test and the scale-out benchmark. `make server` runs the same command in the
foreground."""

from __future__ import annotations

import os
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
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextmanager
def use_server(url: str) -> Iterator[None]:
    """Point this process (Prefect settings) and the processes it starts (environment) at ``url``."""
    from prefect.settings import PREFECT_API_URL, temporary_settings
    old = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url
    try:
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield
    finally:
        if old is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = old
