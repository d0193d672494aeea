"""`synthgan fit` and `synthgan sample`: a TabularGAN from a table (or a request's model, on
several processes under torchrun), and rows from a saved model."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from synthgan.cli.app import app, console, err_console, parse_pairs, split_list


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
    from synthgan.files import check_output
    out = check_output(out, force)                         # before any work: refuse early
    from synthgan.ingest import read_table
    from synthgan.synthesizers.tabular import TabularGAN
    t = read_table(data, discrete_columns=split_list(discrete))
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

    from synthgan.steps.tabular import fit_request
    from synthgan.request import load_request
    from synthgan.train import distributed
    if out is not None:
        raise typer.BadParameter("--out: a request's model goes where `synthgan run` finds it; drop --out")
    req = load_request(path)
    with distributed.process_group(), tempfile.TemporaryDirectory(prefix="synthgan-fit-") as work:
        model_dir = fit_request(req, Path(work))
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
    from synthgan.synthesizers.tabular import TabularGAN
    from synthgan.errors import OutputError
    from synthgan.publish.parquet import arrow_schema, write_csv_stream, write_parquet_stream
    from synthgan.files import check_output
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
        conditions = {k: typed_condition(gan, k, v) for k, v in parse_pairs(condition).items()}
        batches = gan.sample_batches(n, conditions=conditions or None, random_state=seed)
    if fmt == "csv":
        rows = write_csv_stream(batches, out)
    else:
        rows, _ = write_parquet_stream(batches, out, lambda df: arrow_schema(df, gan.schema_))
    console.print(f"{rows} rows written to [bold]{escape(str(out))}[/]")


def typed_condition(gan, column: str, text: str):
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
