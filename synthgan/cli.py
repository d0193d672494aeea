"""The `synthgan` command."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table as RichTable

from synthgan.errors import SynthganError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="synthgan: synthetic copies of real datasets with conditional GANs.")
console = Console()
err_console = Console(stderr=True)


def _parse_conditions(items: list[str] | None) -> dict[str, str]:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise typer.BadParameter(f"--condition {item!r}: expected COLUMN=VALUE")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


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
    data: Path = typer.Argument(..., help="CSV/Parquet file or folder of parts"),
    out: Path = typer.Option(..., "--out", "-o", help="model folder to write"),
    epochs: int = typer.Option(300, help="training epochs"),
    batch_size: int = typer.Option(500, help="rows per batch"),
    discrete: Optional[str] = typer.Option(None, help="comma-separated discrete columns (inferred if absent)"),
    seed: Optional[int] = typer.Option(None, help="random seed"),
    device: str = typer.Option("auto", help="auto, cpu, cuda or mps"),
    quiet: bool = typer.Option(False, help="no progress bar"),
) -> None:
    """Fit a TabularGAN on DATA and save it to OUT."""
    from synthgan import TabularGAN, read_table
    t = read_table(data, discrete_columns=_split(discrete))
    gan = TabularGAN(epochs=epochs, batch_size=batch_size, random_state=seed, device=device, verbose=not quiet)
    gan.fit(t.data, schema=t.schema)
    gan.save(out)
    console.print(f"model written to [bold]{out}[/] ({len(t.data)} rows, {gan.train_seconds_:.1f} s training)")


@app.command()
def sample(
    model: Path = typer.Argument(..., help="model folder written by `synthgan fit`"),
    n: int = typer.Option(..., "--rows", "-n", help="rows to generate"),
    out: Path = typer.Option(..., "--out", "-o", help="Parquet file to write"),
    condition: Optional[list[str]] = typer.Option(None, "--condition", "-c", help="COLUMN=VALUE, repeatable"),
    seed: Optional[int] = typer.Option(None, help="random seed"),
) -> None:
    """Generate N rows from MODEL (optionally all with the given conditions) into a Parquet file."""
    from synthgan import TabularGAN
    from synthgan.publish_local import write_parquet_atomic
    gan = TabularGAN.load(model)
    conditions = _parse_conditions(condition)
    conditions = {k: _typed_value(gan, k, v) for k, v in conditions.items()}
    df = gan.sample(n, conditions=conditions or None, random_state=seed)
    write_parquet_atomic(df, out)
    console.print(f"{len(df)} rows written to [bold]{out}[/]")


def _typed_value(gan, column: str, text: str):
    """A condition given as text, matched to the type of the column's real levels."""
    enc = gan.transformer_.discrete_.get(column)
    if enc is None:
        return text
    for v in enc.levels + enc.rare_values:
        if str(v) == text:
            return v
    return text


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
) -> None:
    """Score SYNTHETIC against TRAIN and HOLDOUT: fidelity, detection, utility, privacy, gates."""
    from synthgan.evaluate import QualityGates, evaluate_tabular
    from synthgan.ingest import read_table
    from synthgan.synthesizers.persistence import AtomicFolder
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
        table.add_row(g.name, f"[{colour}]{g.status}[/]", measured, f"{g.threshold:.3f}")
    console.print(table)
    console.print(f"scores: [bold]{out / 'scores.json'}[/]  report: [bold]{out / 'report.html'}[/]")
    if strict and not result.passed:
        raise typer.Exit(1)


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


@app.command()
def demo(
    data: Path = typer.Option(Path("../shared/datasets/adult.csv"), help="the real table"),
    out: Path = typer.Option(Path("demo_output"), help="output folder"),
    epochs: int = typer.Option(30, help="training epochs"),
    rows: int = typer.Option(10000, help="synthetic rows to write"),
    seed: int = typer.Option(0, help="random seed"),
) -> None:
    """Fit a TabularGAN on DATA, write a Parquet sample, a conditional sample and a summary."""
    from synthgan.demo import run_demo
    summary = run_demo(data, out, epochs=epochs, rows=rows, seed=seed, console=console)
    console.print(f"\nsummary: [bold]{out / 'summary.json'}[/]  data: [bold]{summary['files']['sample']}[/]")


def main() -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    try:
        app()
    except SynthganError as e:
        err_console.print(f"[bold red]error:[/] {e}")
        sys.exit(2)


if __name__ == "__main__":
    main()
