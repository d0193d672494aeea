"""The `synthgan` command."""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from synthgan.errors import SynthganError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="synthgan: synthetic copies of real datasets with conditional GANs.")
console = Console()
err_console = Console(stderr=True)


def _parse_conditions(items: list[str] | None, option: str = "--condition", what: str = "COLUMN=VALUE"
                      ) -> dict[str, str]:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise typer.BadParameter(f"{option} {item!r}: expected {what}")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _typed_condition(gan, column: str, text: str):
    """A --condition value: LOW..HIGH on a numeric or datetime column is a range (an empty end is
    open; numbers parsed as such), anything else a value typed like the column's levels."""
    numeric = column in gan.transformer_.numeric_ or any(
        d.target == column and gan.schema_[column].kind.is_numeric for d in gan.dependencies_)
    if numeric and ".." in text:
        def bound(b: str):
            b = b.strip()
            if not b:
                return None
            try:
                return float(b)
            except ValueError:
                return b                         # a datetime, parsed by the model's condition check
        low, high = text.split("..", 1)
        return (bound(low), bound(high))
    if numeric:
        try:
            return float(text)
        except ValueError:
            return text
    return gan.typed_value(column, text)


def _split(csv: str | None) -> list[str] | None:
    return [c.strip() for c in csv.split(",") if c.strip()] if csv else None


@app.command()
def schema(data: Path = typer.Argument(..., help="CSV/Parquet file or folder of parts")) -> None:
    """Print the column kinds synthgan infers for DATA."""
    from synthgan.ingest import read_table
    t = read_table(data)
    table = RichTable("column", "kind", "dtype", "nulls")
    for c in t.schema.columns:
        table.add_row(c.name, c.kind.value, c.dtype, f"{t.data[c.name].isna().mean():.1%}")
    console.print(table)


@app.command()
def fit(
    data: Path = typer.Argument(..., help="CSV/Parquet file or folder of parts, or a request YAML file"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="model folder to write (not with a request)"),
    epochs: int = typer.Option(300, help="training epochs"),
    min_steps: int = typer.Option(6000, "--min-steps", min=0,
                                  help="at least this many optimiser steps, whatever the epochs (small tables)"),
    batch_size: int = typer.Option(500, help="rows per batch"),
    numeric_bins: int = typer.Option(0, "--numeric-bins", min=0,
                                     help="value bins per numeric column, so that `sample -c COL=LOW..HIGH` "
                                          "and --known can condition on numbers (0: none)"),
    discrete: Optional[str] = typer.Option(None, help="comma-separated discrete columns (inferred if absent)"),
    epsilon: Optional[float] = typer.Option(None, "--epsilon", help="train with differential privacy (DP-SGD, "
                                                                    "Opacus) within this epsilon; needs --delta"),
    delta: Optional[float] = typer.Option(None, "--delta", help="the DP delta (below 1 / rows, e.g. 1e-5)"),
    seed: Optional[int] = typer.Option(None, help="random seed"),
    device: str = typer.Option("auto", help="auto, cpu, cuda or mps"),
    quiet: bool = typer.Option(False, help="no progress bar"),
    force: bool = typer.Option(False, "--force", help="replace OUT if it exists and is not empty"),
    nproc_per_node: int = typer.Option(1, "--nproc-per-node", min=1,
                                       help="train data-parallel in N processes (torchrun; DDP, one GPU each "
                                            "when there are GPUs, gloo on the CPU)"),
) -> None:
    """Fit a TabularGAN on DATA and save it to OUT.

    Given a request file instead, fit its model (its hyperparameters, seed, training split) into
    the folder `synthgan run` looks in, so that the next run of the request reuses it: the way to
    train a request's model on several GPUs."""
    from synthgan.train import distributed
    if nproc_per_node > 1 and not distributed.launched():
        _relaunch_under_torchrun(nproc_per_node)
        return
    if data.suffix in (".yaml", ".yml"):
        _fit_request(data, out)
        return
    if out is None:
        raise typer.BadParameter("--out: a model folder is needed when fitting a data file")
    if (epsilon is None) != (delta is None):
        raise typer.BadParameter("--epsilon and --delta: give both for a DP fit, or neither")
    privacy = {"epsilon": epsilon, "delta": delta} if epsilon is not None else None
    from synthgan.synthesizers.persistence import check_output
    out = check_output(out, force)                         # before any work: refuse early
    from synthgan import TabularGAN, read_table
    t = read_table(data, discrete_columns=_split(discrete))
    with distributed.process_group():
        main_rank = distributed.is_main()
        gan = TabularGAN(epochs=epochs, min_steps=min_steps, batch_size=batch_size, numeric_bins=numeric_bins,
                         random_state=seed, device=device, privacy=privacy,
                         verbose=not quiet and main_rank)
        gan.fit(t.data, schema=t.schema)
        if main_rank:                                            # rank 0 alone writes the model
            gan.save(out)
            ranks = f", {distributed.world_size()} processes" if distributed.active() else ""
            dp = gan.privacy_spent_
            spent = f", DP epsilon {dp['epsilon']:.3f} at delta {dp['delta']:g}" if dp else ""
            console.print(f"model written to [bold]{out}[/] ({len(t.data)} rows, "
                          f"{gan.train_seconds_:.1f} s training{ranks}{spent})")
        distributed.barrier()


def _fit_request(path: Path, out: Optional[Path]) -> None:
    import tempfile

    from synthgan import steps
    from synthgan.request import load_request
    from synthgan.train import distributed
    if out is not None:
        raise typer.BadParameter("--out: a request's model goes where `synthgan run` finds it; drop --out")
    req = load_request(path)
    with distributed.process_group(), tempfile.TemporaryDirectory(prefix="synthgan-fit-") as work:
        model_dir = steps.fit_request(req, Path(work))
        if distributed.is_main():
            ranks = f" in {distributed.world_size()} processes" if distributed.active() else ""
            console.print(f"model of request {req.name!r} trained{ranks}: [bold]{model_dir}[/]\n"
                          f"`synthgan run {path}` will use it")


def _relaunch_under_torchrun(nproc: int) -> None:
    """Run this same command under torchrun (torch.distributed.run) in ``nproc`` processes."""
    import subprocess
    args, skip = [], False
    for a in sys.argv[1:]:
        if skip:
            skip = False
            continue
        if a == "--nproc-per-node":
            skip = True
            continue
        if a.startswith("--nproc-per-node="):
            continue
        args.append(a)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
           "-m", "synthgan.cli", *args]
    err_console.print(f"launching: {' '.join(cmd)}")
    code = subprocess.call(cmd)
    if code:
        raise typer.Exit(code)


@app.command()
def sample(
    model: Path = typer.Argument(..., help="model folder written by `synthgan fit`"),
    n: Optional[int] = typer.Option(None, "--rows", "-n", help="rows to generate"),
    out: Path = typer.Option(..., "--out", "-o", help="file to write: .parquet or .csv"),
    condition: Optional[list[str]] = typer.Option(
        None, "--condition", "-c", help="COLUMN=VALUE, or COLUMN=LOW..HIGH for a numeric or datetime range "
                                        "(either end may be empty); repeatable"),
    known: Optional[Path] = typer.Option(None, "--known", help="CSV/Parquet of rows with some cells known: one "
                                                              "row out per row in, known cells kept, empty ones "
                                                              "generated (instead of --rows)"),
    seed: Optional[int] = typer.Option(None, help="random seed"),
    force: bool = typer.Option(False, "--force", help="replace OUT if it exists"),
) -> None:
    """Generate N rows from MODEL (optionally all with the given conditions, values or ranges), or
    fill in the empty cells of KNOWN rows, into a Parquet or CSV file, streamed in batches (memory
    does not grow with N)."""
    from synthgan import TabularGAN
    from synthgan.errors import OutputError
    from synthgan.publish.parquet import arrow_schema, write_csv_stream, write_parquet_stream
    from synthgan.synthesizers.persistence import check_output
    out = check_output(out, force, folder=False)
    fmt = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}.get(out.suffix.lower())
    if fmt is None:
        raise OutputError(f"{out}: unknown output format {out.suffix or '(no extension)'!r}; name a .parquet or .csv file")
    if (n is None) == (known is None):
        raise typer.BadParameter("give either --rows N or --known FILE")
    if n is not None and n < 0:
        raise typer.BadParameter(f"--rows: expected a non-negative number, got {n}")
    if known is not None and condition:
        raise typer.BadParameter("--condition: not with --known (the known cells are the conditions)")
    gan = TabularGAN.load(model)
    if known is not None:
        from synthgan.ingest import read_known
        batches = iter([gan.sample_remaining(read_known(known), random_state=seed).reset_index(drop=True)])
    else:
        conditions = {k: _typed_condition(gan, k, v) for k, v in _parse_conditions(condition).items()}
        batches = gan.sample_batches(n, conditions=conditions or None, random_state=seed)
    if fmt == "csv":
        rows = write_csv_stream(batches, out)
    else:
        rows, _ = write_parquet_stream(batches, out, lambda df: arrow_schema(df, gan.schema_))
    console.print(f"{rows} rows written to [bold]{escape(str(out))}[/]")


@app.command()
def evaluate(
    train: Path = typer.Option(..., "--train", help="real rows the generator was fitted on (CSV/Parquet)"),
    holdout: Path = typer.Option(..., "--holdout", help="real rows the generator never saw"),
    synthetic: Path = typer.Option(..., "--synthetic", help="the synthetic table"),
    out: Path = typer.Option(..., "--out", "-o", help="folder to write scores.json and report.html into"),
    target: Optional[str] = typer.Option(None, "--target", help="column to predict for utility"),
    discrete: Optional[str] = typer.Option(None, help="comma-separated discrete columns (inferred if absent)"),
    gates: Optional[Path] = typer.Option(None, help="JSON or YAML file of quality-gate thresholds"),
    seed: int = typer.Option(0, help="random seed of subsamples and models"),
    strict: bool = typer.Option(False, help="exit with status 1 when a quality gate fails"),
    force: bool = typer.Option(False, "--force", help="replace OUT if it exists and is not empty"),
) -> None:
    """Score SYNTHETIC against TRAIN and HOLDOUT: fidelity, detection, utility, privacy, gates."""
    from synthgan.evaluate import QualityGates, evaluate_tabular
    from synthgan.ingest import read_table
    from synthgan.synthesizers.persistence import AtomicFolder, check_output
    out = check_output(out, force)
    thresholds = QualityGates.from_dict(_read_mapping(gates)) if gates else QualityGates()
    real = read_table(train, discrete_columns=_split(discrete))
    result = evaluate_tabular(real.data, read_table(holdout).data, read_table(synthetic).data, target=target,
                              schema=real.schema, gates=thresholds, random_state=seed, verbose=True)
    with AtomicFolder(out) as tmp:
        result.write(tmp, title=f"Evaluation of {synthetic.name}")
    table = RichTable("gate", "status", "measured", "threshold")
    for g in result.gates:
        colour = {"passed": "green", "failed": "red"}.get(g.status, "dim")
        measured = "-" if g.measured is None else f"{g.measured:.3f}"
        table.add_row(g.name, f"[{colour}]{g.status}[/]", measured, "off" if g.threshold is None else f"{g.threshold:.3f}")
    console.print(table)
    failed = [g.name for g in result.failed_gates]
    if failed:
        console.print(f"[bold red]FAILED[/]: {', '.join(failed)}" + ("" if strict else " (exit 0 without --strict)"))
    else:
        console.print("[bold green]PASSED[/]: every enabled gate")
    for w in result.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(w)}", soft_wrap=True)
    console.print(f"scores: [bold]{out / 'scores.json'}[/]  report: [bold]{out / 'report.html'}[/]")
    if strict and not result.passed:
        raise typer.Exit(1)


contract_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Data contracts (Great Expectations suites).")
app.add_typer(contract_app, name="contract")


@contract_app.command("draft")
def contract_draft(
    data: Path = typer.Argument(..., help="real CSV/Parquet file or folder"),
    name: str = typer.Option(..., "--name", help="contract name, e.g. the dataset's"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="file to write [data_contracts/NAME.json]"),
    tolerance: float = typer.Option(0.25, help="mean within TOL standard deviations, deviation within 1 +/- TOL"),
    pii: Optional[list[str]] = typer.Option(None, "--pii", help="COLUMN=drop|fake: personal data, repeatable"),
    force: bool = typer.Option(False, "--force", help="replace the contract file if it exists (a reviewed one too)"),
) -> None:
    """Profile real DATA into a contract for people to review."""
    from synthgan.contracts import draft_suite, save_suite
    from synthgan.ingest import read_table
    from synthgan.synthesizers.persistence import check_output
    from synthgan.request import check_name
    try:
        check_name(name)
    except ValueError as e:
        raise typer.BadParameter(f"--name {e}") from None
    target = check_output(out or Path("data_contracts") / f"{name}.json", force, folder=False)
    t = read_table(data)
    suite = draft_suite(t.data, name, schema=t.schema, tolerance=tolerance, pii=_parse_conditions(pii, "--pii", "COLUMN=drop|fake"))
    path = save_suite(suite, target)
    counts: dict[str, int] = {}
    for e in suite.expectations:
        counts[e.expectation_type] = counts.get(e.expectation_type, 0) + 1
    table = RichTable("expectation", "count", title=f"contract {name!r}: {len(suite.expectations)} expectations")
    for k, v in sorted(counts.items()):
        table.add_row(k, str(v))
    console.print(table)
    console.print(f"written to [bold]{path}[/]: review it, then note what you reviewed in meta.synthgan.review")


@app.command()
def validate(
    data: Path = typer.Argument(..., help="CSV/Parquet file or folder to check"),
    contract: Path = typer.Option(..., "--contract", "-c", help="contract file (GX suite JSON)"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="write the full result as JSON here"),
    force: bool = typer.Option(False, "--force", help="replace OUT if it exists"),
) -> None:
    """Validate DATA against a contract; exit 1 when any expectation fails."""
    from synthgan.contracts import load_suite, validate_frame
    from synthgan.ingest import read_table
    from synthgan.synthesizers.persistence import check_output, write_text_atomic
    if out:
        out = check_output(out, force, folder=False)
    suite = load_suite(contract)
    result = validate_frame(read_table(data).data, suite)
    if out:
        write_text_atomic(out, json.dumps(result.to_dict(), indent=2, default=str))
    st = result.statistics
    if result.success:
        console.print(f"[green]passed[/]: {st['evaluated_expectations']} expectations of {escape(repr(suite.name))} hold")
        return
    table = RichTable(title=escape(f"failed expectations of {suite.name!r}"))
    for header in ("expectation", "columns", "observed", "allowed", "off by"):
        table.add_column(header, overflow="fold")
    for f in result.failures:          # data and rules are text, never Rich markup: '[[null, 20]]' stays
        gap = "" if f.gap is None else f"{f.gap:.4g}" + (" pts" if f.kwargs.get("mostly") is not None else "")
        table.add_row(escape(f.expectation), escape(", ".join(f.columns)), escape(_short(f.measured, 90)),
                      escape(_short(f.limit, 90)), gap)
    console.print(table)
    console.print(f"[red]failed[/]: {st['unsuccessful_expectations']} of {st['evaluated_expectations']} expectations")
    raise typer.Exit(1)


def _short(v, width: int = 70) -> str:
    text = v if isinstance(v, str) else json.dumps(v, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def _read_mapping(path: Path) -> dict:
    """A JSON or YAML file holding one mapping."""
    import yaml
    from synthgan.errors import ConfigError
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid JSON or YAML ({e})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of names to values, got {type(data).__name__}")
    return data


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
    from pipelines.synthesize import run_requests
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
    data: Path = typer.Option(Path("../shared/datasets/adult.csv"), help="the real table"),
    out: Path = typer.Option(Path("demo_output"), help="output folder"),
    epochs: int = typer.Option(30, help="training epochs"),
    rows: int = typer.Option(10000, help="synthetic rows to write"),
    seed: int = typer.Option(0, help="random seed"),
    contract: Optional[Path] = typer.Option(None, help="contract to validate the sample against "
                                            "(default: data_contracts/<DATA name>.json when it exists)"),
    force: bool = typer.Option(False, "--force", help="replace OUT if it exists and is not empty"),
) -> None:
    """Fit a TabularGAN on DATA, write a Parquet sample, a conditional sample, contract result,
    evaluation report and a summary."""
    from synthgan.demo import run_demo
    from synthgan.synthesizers.persistence import check_output
    out = check_output(out, force)
    if contract is None and (Path("data_contracts") / f"{data.stem}.json").exists():
        contract = Path("data_contracts") / f"{data.stem}.json"
    summary = run_demo(data, out, epochs=epochs, rows=rows, seed=seed, console=console, contract=contract)
    console.print(f"\nsummary: [bold]{out / 'summary.json'}[/]  data: [bold]{summary['files']['sample']}[/]")


def main() -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    try:
        from synthgan.threads import configure_threads
        configure_threads()                     # every pool of this process from SYNTHGAN_THREADS
        code = app(standalone_mode=False)       # we print errors ourselves: one line each
        code = code if isinstance(code, int) else 0
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # a torchrun worker, its process group left
            from synthgan.train.distributed import leave
            leave(code)
        sys.exit(code)
    except typer.Abort:                        # Ctrl-C outside a run
        err_console.print("[bold red]interrupted[/]", soft_wrap=True)
        sys.exit(130)
    except typer.TyperException as e:          # typer's click: bad or missing options and arguments
        if type(e).__name__ == "NoArgsIsHelpError" and getattr(e, "ctx", None) is not None:
            console.print(e.ctx.get_help())
            sys.exit(0)
        ctx = getattr(e, "ctx", None)
        where = f"{ctx.command_path}: " if ctx is not None else ""
        message = e.format_message() if hasattr(e, "format_message") else str(e)
        err_console.print(f"[bold red]error:[/] {escape(where + _one_line(message))}", soft_wrap=True)
        sys.exit(getattr(e, "exit_code", 2) or 2)
    except SynthganError as e:
        err_console.print(f"[bold red]error:[/] {escape(_one_line(e))}", soft_wrap=True)   # one line, markup-safe
        sys.exit(2)
    except Exception as e:                     # a bug or an unforeseen input: still one line, unless debugging
        if os.environ.get("SYNTHGAN_DEBUG"):
            raise
        err_console.print(f"[bold red]error:[/] unexpected {type(e).__name__}: {escape(_one_line(e))} "
                          "(set SYNTHGAN_DEBUG=1 to see the traceback)", soft_wrap=True)
        sys.exit(2)


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())


if __name__ == "__main__":
    main()
