"""The demo job (`make demo`): hold out 20% of a real table, fit on the rest, sample, sample a rare
class, evaluate against the held-out rows (scores.json + report.html), summarise.

Until the Prefect pipeline lands this is the main job; every output goes to one folder, written
atomically (a failed run leaves nothing behind).
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from synthgan.evaluate import evaluate_tabular
from synthgan.ingest import read_table
from synthgan.publish import write_parquet_atomic
from synthgan.synthesizers import TabularGAN
from synthgan.synthesizers.persistence import AtomicFolder, write_json


def compare_columns(real: pd.DataFrame, synth: pd.DataFrame) -> list[dict]:
    """One line per column: null rates, and mean/std (numeric) or the top level's share (discrete)."""
    rows = []
    for c in real.columns:
        r, s = real[c], synth[c]
        row = {"column": c, "null_rate_real": float(r.isna().mean()), "null_rate_synthetic": float(s.isna().mean())}
        if pd.api.types.is_numeric_dtype(r) and not pd.api.types.is_bool_dtype(r):
            row.update(mean_real=float(r.mean()), mean_synthetic=float(s.mean()),
                       std_real=float(r.std()), std_synthetic=float(s.std()))
        else:
            top = r.value_counts(normalize=True).index[0]
            row.update(top_level=str(top), top_share_real=float((r == top).mean()),
                       top_share_synthetic=float((s == top).mean()))
        rows.append(row)
    return rows


def _pick_condition(df: pd.DataFrame, gan: TabularGAN) -> tuple[str, object] | None:
    """The rarest level of the last discrete column (for Adult: income '>50K')."""
    cols = list(gan.transformer_.layout_.discrete_columns)
    if not cols:
        return None
    col = cols[-1]
    return col, df[col].value_counts().index[-1]


def run_demo(data: Path, out: Path, epochs: int = 30, rows: int = 10000, seed: int = 0,
             console: Console | None = None, contract: Path | None = None, min_steps: int = 1000) -> dict:
    console = console or Console()
    console.print(f"[bold]reading[/] {data}")
    table = read_table(data)
    df, holdout = _split(table.data, table.schema.discrete_columns, seed)
    console.print(f"{len(df)} training rows ({len(holdout)} held out), {len(df.columns)} columns; "
                  f"fitting TabularGAN for {epochs} epochs")
    t0 = time.perf_counter()
    gan = TabularGAN(epochs=epochs, min_steps=min_steps, random_state=seed, verbose=True).fit(df, schema=table.schema)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    synth = gan.sample(rows, random_state=seed + 1)
    sample_s = time.perf_counter() - t0
    summary: dict = {"data": str(data), "real_rows": len(df), "holdout_rows": len(holdout), "synthetic_rows": len(synth), "epochs": epochs,
                     "seed": seed, "fit_seconds": round(fit_s, 2), "sample_seconds": round(sample_s, 3),
                     "columns": compare_columns(df, synth), "files": {}}
    with AtomicFolder(out) as tmp:
        gan.save(tmp / "model")
        write_parquet_atomic(synth, tmp / "synthetic.parquet", {"synthgan.seed": str(seed)})
        summary["files"]["sample"] = str(out / "synthetic.parquet")
        picked = _pick_condition(df, gan)
        col, cond = None, None
        if picked is not None:
            col, value = picked
            cond = gan.sample(5000, conditions={col: value}, random_state=seed + 2)
            write_parquet_atomic(cond, tmp / "conditional.parquet")
            summary["files"]["conditional"] = str(out / "conditional.parquet")
            summary["conditional"] = _conditional_summary(df, cond, col, value)
        checked = None
        if contract is not None:
            summary["contract"], checked = _check_contract(synth, contract, tmp, console)
        console.print("[bold]evaluating[/] against the held-out rows")
        result = evaluate_tabular(df, holdout, synth, target=col, schema=table.schema, augment_with=cond,
                                  random_state=seed, verbose=True)
        from synthgan.evaluate.run_report import RunContext
        from synthgan.outcome import Outcome
        from synthgan.synthesizers.persistence import library_versions
        outcome = Outcome.judge(result.gates, checked)
        # no outcome in the report: the demo publishes nothing, so its page says PASSED or FAILED
        run = RunContext(outcome=None, contract=checked, request=f"demo of {Path(data).name}",
                         modality="tabular", model_key="model", versions=library_versions(), model_dir=tmp / "model",
                         created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                         per_condition={col: {str(picked[1]): len(cond)}} if cond is not None else {},
                         conditional=cond)
        result.write(tmp, title=f"synthgan demo: {Path(data).name}", run=run)
        summary["files"].update(scores=str(out / "scores.json"), report=str(out / "report.html"))
        summary["evaluation"] = {"passed": result.passed, "gates": [g.reason for g in result.gates]}
        summary["outcome"] = outcome.to_dict()
        write_json(tmp / "summary.json", summary)
    _print(console, summary)
    return summary


def _check_contract(synth: pd.DataFrame, contract: Path, folder: Path, console: Console) -> tuple[dict, dict]:
    """Validate the sample against the dataset's contract; the full result goes to contract_result.json.
    Returns the summary's entry and the result as the pipeline's contract step gives it."""
    from synthgan.contracts import load_suite, validate_frame
    from synthgan.steps import contract_details
    result = validate_frame(synth, load_suite(contract))
    write_json(folder / "contract_result.json", result.to_dict())
    st = result.statistics
    colour = "green" if result.success else "red"
    console.print(f"contract {contract}: [{colour}]{st['successful_expectations']}/{st['evaluated_expectations']}"
                  " expectations hold[/]")
    for f in result.failures:
        console.print(f"  failed: {escape(f.message[:240])}", soft_wrap=True)
    checked = {"success": result.success, "statistics": {"sample": st}, "details": contract_details({"sample": result}),
               "path": str(folder / "contract_result.json")}
    return {"file": str(contract), "success": result.success, "statistics": st}, checked


def _split(df: pd.DataFrame, discrete: list[str], seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """80/20, stratified on the last discrete column (the demo's condition and target) when there is one."""
    from sklearn.model_selection import train_test_split
    strat = df[discrete[-1]].astype(object).fillna("(null)").astype(str) if discrete else None
    if strat is not None and strat.value_counts().min() < 2:
        strat = None                      # a level seen once cannot be split both ways
    train, hold = train_test_split(df, test_size=0.2, random_state=seed, stratify=strat)
    return train.reset_index(drop=True), hold.reset_index(drop=True)


def _conditional_summary(real: pd.DataFrame, cond: pd.DataFrame, col: str, value) -> dict:
    group = real[real[col] == value]
    out = {"column": col, "value": str(value), "rows": len(cond), "rows_matching": int((cond[col] == value).sum())}
    numeric = [c for c in real.columns if pd.api.types.is_numeric_dtype(real[c]) and c != col]
    if numeric:
        c = numeric[0]
        out["first_numeric"] = {"column": c, "mean_real_group": float(group[c].mean()),
                                "mean_synthetic": float(cond[c].mean()), "mean_real_all": float(real[c].mean())}
    return out


def _print(console: Console, summary: dict) -> None:
    t = RichTable("column", "real", "synthetic", "nulls real/synth", title="real vs synthetic")
    for r in summary["columns"]:
        nulls = f"{r['null_rate_real']:.1%} / {r['null_rate_synthetic']:.1%}"
        if "mean_real" in r:
            t.add_row(r["column"], f"mean {r['mean_real']:.4g} sd {r['std_real']:.3g}",
                      f"mean {r['mean_synthetic']:.4g} sd {r['std_synthetic']:.3g}", nulls)
        else:
            t.add_row(r["column"], f"{r['top_level']} {r['top_share_real']:.1%}",
                      f"{r['top_level']} {r['top_share_synthetic']:.1%}", nulls)
    console.print(t)
    c = summary.get("conditional")
    if c:
        msg = f"conditional sample: {c['rows_matching']}/{c['rows']} rows have {c['column']} = {c['value']!r}"
        if "first_numeric" in c:
            f = c["first_numeric"]
            msg += (f"; mean {f['column']} {f['mean_synthetic']:.2f} (real group {f['mean_real_group']:.2f}, "
                    f"all rows {f['mean_real_all']:.2f})")
        console.print(msg)
    console.print(f"fit {summary['fit_seconds']} s, sampling {summary['synthetic_rows']} rows "
                  f"{summary['sample_seconds']} s")
    ev = summary["evaluation"]
    console.print("quality gates: " + ("[green]all passed[/]" if ev["passed"] else "[red]some failed[/]"))
    for reason in ev["gates"]:
        console.print(f"  {escape(reason)}")
    outcome = summary["outcome"]
    word = "PASSED" if outcome["status"] == "published" else "FAILED"   # the demo publishes nothing itself
    colour = "green" if word == "PASSED" else "red"
    console.print(f"[bold {colour}]{word}[/]: " + ("every gate and contract rule held" if word == "PASSED" else
                                                   f"{len(outcome['reasons'])} gate(s) or contract rule(s) failed"))
    for r in outcome["reasons"]:
        console.print(f"  - {escape(r['message'])}", soft_wrap=True)
