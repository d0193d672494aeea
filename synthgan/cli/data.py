"""`synthgan schema`, `evaluate`, `contract draft` and `validate`: look at real data, score a
synthetic table, draft a contract and check data against it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from synthgan.cli.app import app, console, err_console, parse_pairs, read_mapping, split_list


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
    from synthgan.files import AtomicFolder, check_output
    out = check_output(out, force)
    thresholds = QualityGates.from_dict(read_mapping(gates)) if gates else QualityGates()
    real = read_table(train, discrete_columns=split_list(discrete))
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
    from synthgan.files import check_output
    from synthgan.request import check_name
    try:
        check_name(name)
    except ValueError as e:
        raise typer.BadParameter(f"--name {e}") from None
    target = check_output(out or Path("data_contracts") / f"{name}.json", force, folder=False)
    t = read_table(data)
    suite = draft_suite(t.data, name, schema=t.schema, tolerance=tolerance, pii=parse_pairs(pii, "--pii", "COLUMN=drop|fake"))
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
    from synthgan.files import check_output, write_text_atomic
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
