"""`synthgan run`, `serve` and `demo`: requests through the Prefect flow, on a Prefect server of
the run's own (or PREFECT_API_URL's), as deployments, and the shipped demo request."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from synthgan.cli.app import app, console, err_console
from synthgan.errors import ConfigError


@contextmanager
def _prefect_api(local: bool):
    """Where this run's flows report: PREFECT_API_URL when set; else, for in-process runs, a Prefect
    API server of this run's own (database under PREFECT_HOME) that stops with it and is killed
    with it, even by SIGKILL (Prefect's ephemeral server outlived a killed run by minutes)."""
    from prefect.settings import PREFECT_API_URL
    if PREFECT_API_URL.value() or not local:           # a server named by the environment, a profile or a test
        yield
        return
    from pipelines.server import embedded_server, use_server
    with embedded_server(Path(os.environ["PREFECT_HOME"])) as url, use_server(url):
        yield


def _interrupt_on_sigterm() -> None:
    """SIGTERM stops a run as Ctrl-C does: the flow unwinds (work folders removed, nothing
    published, the server stopped) instead of the process vanishing mid-write."""
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, stop)


def _prefect_env(output: Path) -> None:
    """Prefect's embedded server keeps its database under the output folder unless told otherwise."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_HOME", str(Path(output).resolve() / ".prefect"))
    Path(os.environ["PREFECT_HOME"]).expanduser().mkdir(parents=True, exist_ok=True)


@app.command()
def run(
    requests: list[Path] = typer.Argument(..., help="request YAML file(s)"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="publish here instead of the requests' output"),
    executor: Optional[str] = typer.Option(None, "--executor", "-e",
                                           help="local or dask (overrides the requests' executor)"),
    dask_address: Optional[str] = typer.Option(None, "--dask-address",
                                               help="scheduler of an existing Dask cluster (implies --executor dask)"),
    workers: Optional[int] = typer.Option(None, "--workers", help="processes of the LocalCluster started for the run"),
) -> None:
    """Run REQUESTS end to end: publish, or say why not (exit 1 when any is rejected).

    In-process by default, on Prefect's embedded server. With the Dask executor, generation shards
    run on Dask workers and several requests run at once; that needs a Prefect server
    (`make server`, then export PREFECT_API_URL)."""
    from synthgan.request import ExecutorSpec, load_request
    reqs = [load_request(r) for r in requests]
    _prefect_env(output or reqs[0].output)
    spec = None
    if executor or dask_address or workers:
        base = reqs[0].executor
        kind = "dask" if dask_address else (executor or base.kind)
        try:
            spec = ExecutorSpec(kind=kind, address=dask_address, workers=workers or base.workers)
        except ValueError as e:
            raise typer.BadParameter(f"--executor/--dask-address/--workers: {e}") from None
    from pipelines.runs import run_requests
    _interrupt_on_sigterm()
    local = spec.kind == "local" if spec is not None else all(r.executor.kind == "local" for r in reqs)
    try:
        with _prefect_api(local):
            results = run_requests([str(r) for r in requests], str(output) if output else None, spec)
    except KeyboardInterrupt:
        # The flow has unwound (work folders removed, nothing published) and the server stopped.
        err_console.print("[bold red]interrupted:[/] stopped; nothing was published by this run", soft_wrap=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)                           # do not wait for worker threads still sampling
    rejected = False
    for req, result in zip(reqs, results):
        name, run_id = escape(req.name), escape(result["run_id"])
        if result["status"] == "published":
            console.print(f"[bold green]PUBLISHED[/] {name} run {run_id}\n"
                          f"  data:   [bold]{escape(result['path'])}/data[/]\n  report: [bold]{escape(result['report'])}[/]")
            continue
        rejected = True
        headline = escape(result["outcome"]["headline"]).replace("REJECTED", "[bold red]REJECTED[/]", 1)
        console.print(f"{headline} {name} run {run_id}; nothing published:", soft_wrap=True)
        for reason in result["reasons"]:
            console.print(f"  - {escape(reason)}", soft_wrap=True)
        console.print(f"  report: [bold]{escape(result['report'])}[/]\n  reasons: [bold]{escape(result['path'])}/reasons.json[/]")
    if rejected:
        raise typer.Exit(1)


@app.command()
def serve(
    requests: Path = typer.Argument(Path("requests"), help="request file or folder of them"),
    port: int = typer.Option(4200, help="port of the Prefect server (and UI) started when PREFECT_API_URL is unset"),
) -> None:
    """Serve every request as a Prefect deployment until stopped: scheduled ones on their cron, all
    of them triggerable from the Prefect UI with a form of overrides.

    Without PREFECT_API_URL a Prefect server with its UI is started for the session (its database
    under the same PREFECT_HOME `synthgan run` uses: <output>/.prefect) and its address printed;
    with PREFECT_API_URL (e.g. `make server`) the deployments go to that server. A request file that
    does not validate is skipped with its error."""
    from pipelines.deployments import build_deployments
    skipped: list = []
    deployments = build_deployments(requests, skipped)
    for file, error in skipped:
        err_console.print(f"[yellow]skipped[/] {escape(str(file))}: {escape(error)}", soft_wrap=True)
    if not deployments:
        raise typer.BadParameter(f"{requests}: no valid request to serve")
    from synthgan.request import load_request
    first = load_request(deployments[0].parameters["request"])
    _prefect_env(first.output)
    from prefect.settings import PREFECT_API_URL
    if PREFECT_API_URL.value():
        _serve(deployments, f"Prefect server of PREFECT_API_URL ({PREFECT_API_URL.value()})")
        return
    from pipelines.server import free_port, prefect_server, use_server
    home = Path(os.environ["PREFECT_HOME"])
    chosen = port if port and _port_free(port) else free_port()
    console.print(f"starting a Prefect server with its UI (database under {escape(str(home))}) ...")
    _interrupt_on_sigterm()                 # SIGTERM stops serving as Ctrl-C does: the server stops too
    # the server dies with this process, even when it is killed outright
    with prefect_server(home, port=chosen, tie_to_parent=True) as url, use_server(url):
        _serve(deployments, f"Prefect UI: http://127.0.0.1:{chosen}  (API {url}; "
                            f"other shells: export PREFECT_API_URL={url})")


def _port_free(port: int) -> bool:
    import socket
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _serve(deployments: list, where: str) -> None:
    console.print(escape(where))
    for d in deployments:
        cron = d.schedules[0].schedule.cron if d.schedules else None
        when = f"on cron {cron!r}" if cron else "on demand"
        console.print(f"serving [bold]{escape(d.name)}[/] {when}")
    from prefect import serve as prefect_serve
    prefect_serve(*deployments)


@app.command()
def demo(
    request: Path = typer.Option(Path("requests/adult.yaml"), "--request", help="the demo request"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="publish here instead of the request's output"),
) -> None:
    """The main job (`make demo`): run the shipped demo request through the pipeline, as `synthgan run`
    does: fit a TabularGAN on Adult, generate, check the contract and the gates, publish (exit 1
    when the checks reject the run)."""
    if not request.is_file():
        raise ConfigError(f"{request}: no such request file; run `synthgan demo` from the repository root, "
                          "or name the request with --request")
    run([request], output=output, executor=None, dask_address=None, workers=None)
