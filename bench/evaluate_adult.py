"""synthgan.evaluate on UCI Adult: its speed, and its agreement with SDMetrics' QualityReport.

Adult is split 80/20 (stratified on income, seed 0): 26,048 training rows, 6,513 holdout rows,
15 columns. A TabularGAN is fitted on the training rows (``--epochs``) and 26,048 rows sampled,
unless ``--synthetic`` names a Parquet file of such rows.

Speed: ``evaluate_tabular`` (fidelity, detection, utility with augmentation lift and SMOTE,
privacy, gates; target income) on that Adult-sized table, median of ``--rounds`` runs, plus the
HTML report; the target is under 60 s on 2 cores. As a ratio it is set against SDMetrics'
QualityReport on the same tables in the same run (which scores column shapes and pair trends only).

Agreement: column-shape and pair-trend scores against SDMetrics 0.32's QualityReport (run in
bench/.venv-peers through bench/_sdmetrics_worker.py) on three synthetic tables of different
quality: the GAN sample, the real holdout rows, and the GAN sample with every column shuffled
on its own. The target is agreement within 0.02.

    python bench/evaluate_adult.py --data ../shared/datasets/adult.csv
writes bench/results/evaluate_adult.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
from synthgan import ColumnKind, TabularGAN, read_table  # noqa: E402
from synthgan.evaluate import evaluate_tabular  # noqa: E402
from synthgan.evaluate.report import render_report  # noqa: E402

sys.path.insert(0, str(ROOT))
from _peers import ensure_peer_env  # noqa: E402

TARGET = "income"
TOLERANCE = 0.02


def sdmetrics_metadata(schema) -> dict:
    sdtype = {ColumnKind.CONTINUOUS: "numerical", ColumnKind.INTEGER: "numerical",
              ColumnKind.DATETIME: "datetime", ColumnKind.CATEGORICAL: "categorical",
              ColumnKind.BOOLEAN: "boolean", ColumnKind.ID: "id"}
    return {"columns": {c.name: {"sdtype": sdtype[c.kind]} for c in schema.columns}}


def run_sdmetrics(train: pd.DataFrame, tables: dict[str, pd.DataFrame], schema, work: Path) -> dict:
    py = ensure_peer_env()
    train.to_csv(work / "real.csv", index=False)
    args = []
    for name, df in tables.items():
        df.to_csv(work / f"{name}.csv", index=False)
        args.append(f"{name}={work / f'{name}.csv'}")
    (work / "metadata.json").write_text(json.dumps(sdmetrics_metadata(schema)))
    subprocess.run([str(py), str(ROOT / "_sdmetrics_worker.py"), "--real", str(work / "real.csv"),
                    "--metadata", str(work / "metadata.json"), "--out", str(work / "sdm.json"),
                    "--synthetic", *args], check=True)
    return json.loads((work / "sdm.json").read_text())


def shuffled(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: df[c].to_numpy()[rng.permutation(len(df))] for c in df.columns})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(ROOT.parent.parent / "shared" / "datasets" / "adult.csv"))
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--synthetic", help="Parquet of synthetic rows to use instead of fitting a GAN")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--out", default=str(ROOT / "results" / "evaluate_adult.json"))
    a = p.parse_args()
    warnings.simplefilter("ignore")
    real = read_table(a.data)
    train, holdout = train_test_split(real.data, test_size=0.2, stratify=real.data[TARGET], random_state=0)
    train, holdout = train.reset_index(drop=True), holdout.reset_index(drop=True)
    if a.synthetic:
        synth = pd.read_parquet(a.synthetic)
    else:
        print(f"fitting TabularGAN, {a.epochs} epochs", flush=True)
        gan = TabularGAN(epochs=a.epochs, random_state=0, verbose=False).fit(train, schema=real.schema)
        synth = gan.sample(len(train), random_state=1)

    print("timing evaluate_tabular", flush=True)
    times, report_times = [], []
    for _ in range(a.rounds):
        t0 = time.perf_counter()
        result = evaluate_tabular(train, holdout, synth, target=TARGET, schema=real.schema)
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        render_report(result)
        report_times.append(time.perf_counter() - t0)

    candidates = {"tabulargan": synth, "real_holdout": holdout, "shuffled": shuffled(synth, 7)}
    ours = {}
    for name, df in candidates.items():
        r = evaluate_tabular(train, holdout, df, target=TARGET, schema=real.schema)
        ours[name] = {"column_shapes": r.fidelity.column_shapes_score, "pair_trends": r.fidelity.pair_trends_score,
                      "score": r.fidelity.score, "column_details": r.fidelity.column_shapes,
                      "pair_details": r.fidelity.pair_trends}
    with tempfile.TemporaryDirectory() as tmp:
        print("SDMetrics QualityReport", flush=True)
        sdm = run_sdmetrics(train, candidates, real.schema, Path(tmp))

    agreement = {}
    for name in candidates:
        diffs = {k: abs(ours[name][k] - sdm[name][k]) for k in ("column_shapes", "pair_trends", "score")}
        theirs = {frozenset(k.split(" | ")): v for k, v in sdm[name]["pair_details"].items()}
        pair_gaps = {k: abs(v - theirs.get(frozenset(k.split(" | ")), np.nan))
                     for k, v in ours[name]["pair_details"].items()}
        worst = sorted(((k, v) for k, v in pair_gaps.items() if np.isfinite(v)), key=lambda kv: -kv[1])[:3]
        agreement[name] = {
            "synthgan": {k: ours[name][k] for k in ("column_shapes", "pair_trends", "score")},
            "sdmetrics": {k: sdm[name][k] for k in ("column_shapes", "pair_trends", "score")},
            "abs_difference": diffs, "within_tolerance": all(v <= TOLERANCE for v in diffs.values()),
            "largest_pair_gaps": dict(worst),
        }
    eval_s, report_s = statistics.median(times), statistics.median(report_times)
    out = {
        "setup": {"data": Path(a.data).name, "train_rows": len(train), "holdout_rows": len(holdout),
                  "synthetic_rows": len(synth), "columns": train.shape[1], "target": TARGET,
                  "synthetic_from": a.synthetic or f"TabularGAN, {a.epochs} epochs, seed 0",
                  "rounds": a.rounds},
        "speed": {"evaluate_seconds_median": eval_s, "evaluate_seconds_all": times,
                  "stage_seconds_last_round": result.seconds, "report_seconds_median": report_s,
                  "sdmetrics_quality_report_seconds": sdm["tabulargan"]["seconds"],
                  "ratio_evaluate_over_sdmetrics_quality_report": eval_s / sdm["tabulargan"]["seconds"],
                  "target_seconds_max": 60.0, "met": eval_s + report_s < 60.0},
        "agreement": {"tolerance": TOLERANCE, "tables": agreement,
                      "met": all(v["within_tolerance"] for v in agreement.values())},
        "scores_on_tabulargan": {k: v for k, v in result.to_dict().items() if k in ("passed", "gates", "detection_auc")},
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({k: out[k] for k in ("speed", "agreement")}, indent=2))


if __name__ == "__main__":
    main()
