"""Conditions per row on UCI Adult: their speed against plain sampling and against SDV-style
rejection, and how close range-conditioned rows are to the real rows in that range.

For each seed, a TabularGAN is fitted on 80 % of Adult (stratified on income; ``--steps``
optimiser steps) and, in the same process, these are timed (median of three calls, ``--rows``
rows each), as rows per second and as a ratio to plain ``sample``:

- plain: ``sample(n)``;
- one discrete value: ``sample(n, conditions={"income": ">50K"})``;
- a numeric range: ``sample(n, conditions={"age": (30, 40)})``;
- mixed groups in one call: ``sample_conditions`` of four groups (a value, a value pair, a range
  with a value, an open range);
- per row (imputation): ``sample_remaining`` of n real rows with age, sex and education known and
  every other cell null;
- a rare combination, exact: ``sample_conditions([Condition(n, RARE)])``;
- the same by rejection, as SDV samples conditions: plain batches of n filtered to RARE, repeated
  until 500 rows are found or 100 batches are drawn; rows/s counts the rows it keeps.

Fidelity inside a range: for age in [30, 40] (and hours-per-week in [45, 60]), the rows asked for
with that range are compared with the real training rows in that range: KS distance of the
ranged column, total-variation distance of income, sex and marital-status, and the >50K share.
Controls scored by the same measures in the same run: the real rows of the range split in two
halves (the floor), the model's free rows filtered to the range (what rejection would give), and
a known-bad copy: values uniform over the range with the other columns from free rows.

    .venv/bin/python bench/conditional_sampling.py --data ../shared/datasets/adult.csv --seeds 0 1
writes bench/results/conditional_sampling.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))
from _timing import median_of_three  # noqa: E402

from synthgan import Condition, TabularGAN, read_table  # noqa: E402

RARE = {"race": "Amer-Indian-Eskimo", "sex": "Female", "income": ">50K"}
RANGES = {"age": (30, 40), "hours-per-week": (45, 60)}
CATEGORICAL = ("income", "sex", "marital-status")


def tv(a: pd.Series, b: pd.Series) -> float:
    p, q = a.value_counts(normalize=True), b.value_counts(normalize=True)
    return float(0.5 * p.sub(q, fill_value=0.0).abs().sum())


def ks(a: pd.Series, b: pd.Series) -> float:
    from scipy.stats import ks_2samp
    return float(ks_2samp(a.to_numpy(float), b.to_numpy(float)).statistic)


def range_scores(rows: pd.DataFrame, real: pd.DataFrame, col: str) -> dict:
    out = {"ks_" + col: round(ks(rows[col], real[col]), 4)}
    out |= {"tv_" + c: round(tv(rows[c], real[c]), 4) for c in CATEGORICAL if c != col}
    out["share_gt50k"] = round(float((rows["income"] == ">50K").mean()), 4)
    return out


def rejection(gan: TabularGAN, n: int, want: int, seed: int, max_batches: int = 100) -> tuple[int, float, int]:
    """SDV-style: sample n, keep rows meeting RARE, repeat. (rows kept, seconds, batches)."""
    kept, batches, t0 = 0, 0, time.perf_counter()
    while kept < want and batches < max_batches:
        s = gan.sample(n, random_state=seed * 1000 + batches)
        kept += int(np.logical_and.reduce([s[c] == v for c, v in RARE.items()]).sum())
        batches += 1
    return min(kept, want), time.perf_counter() - t0, batches


def run_seed(train: pd.DataFrame, schema, seed: int, steps: int, n: int) -> dict:
    t0 = time.perf_counter()
    gan = TabularGAN(epochs=1, min_steps=steps, random_state=seed, numeric_bins=10).fit(train, schema=schema)
    fit_s = time.perf_counter() - t0
    known = train.sample(n, replace=len(train) < n, random_state=seed).reset_index(drop=True)
    known = known[["age", "sex", "education"]]
    groups = [Condition(n // 4, {"income": ">50K"}), Condition(n // 4, {"sex": "Female", "income": ">50K"}),
              Condition(n // 4, {"age": (30, 40), "workclass": "Private"}), Condition(n - 3 * (n // 4),
                                                                                     {"hours-per-week": (50, None)})]
    calls = {
        "plain": lambda: gan.sample(n, random_state=1),
        "one_value": lambda: gan.sample(n, conditions={"income": ">50K"}, random_state=1),
        "numeric_range": lambda: gan.sample(n, conditions={"age": (30, 40)}, random_state=1),
        "mixed_groups": lambda: gan.sample_conditions(groups, random_state=1),
        "per_row_known": lambda: gan.sample_remaining(known, random_state=1),
        "rare_exact": lambda: gan.sample_conditions([Condition(n, RARE)], random_state=1),
    }
    speed = {}
    for name, fn in calls.items():
        rows, sec = median_of_three(fn)
        speed[name] = {"rows": len(rows), "seconds": round(sec, 4), "rows_per_s": round(len(rows) / sec, 1)}
    for name in speed:
        speed[name]["ratio_to_plain"] = round(speed[name]["rows_per_s"] / speed["plain"]["rows_per_s"], 3)
    kept, sec, batches = rejection(gan, n, 500, seed)
    speed["rare_rejection"] = {"rows": kept, "seconds": round(sec, 3), "batches": batches,
                               "rows_per_s": round(kept / sec, 1),
                               "ratio_to_plain": round(kept / sec / speed["plain"]["rows_per_s"], 4),
                               "reached_500": kept >= 500}
    real_rare = int(np.logical_and.reduce([train[c] == v for c, v in RARE.items()]).sum())

    fidelity = {}
    free = gan.sample(max(4 * n, 40000), random_state=2)
    rng = np.random.default_rng(seed)
    for col, (lo, hi) in RANGES.items():
        real = train[train[col].between(lo, hi)]
        asked = gan.sample(len(real), conditions={col: (lo, hi)}, random_state=3)
        half = real.sample(frac=0.5, random_state=seed)
        filtered = free[free[col].between(lo, hi)]
        bad = free.sample(len(real), replace=True, random_state=seed).reset_index(drop=True)
        bad[col] = rng.integers(lo, hi + 1, len(bad))
        fidelity[f"{col} in [{lo}, {hi}]"] = {
            "real_rows": len(real), "real_share_gt50k": round(float((real["income"] == ">50K").mean()), 4),
            "conditioned": range_scores(asked, real, col) | {"exact": bool(asked[col].between(lo, hi).all())},
            "control_real_half": range_scores(half, real.drop(half.index), col),
            "control_free_filtered": range_scores(filtered, real, col),
            "control_uniform_values": range_scores(bad, real, col),
        }
    return {"seed": seed, "fit_seconds": round(fit_s, 1), "speed": speed, "rare_combination_real_rows": real_rare,
            "fidelity": fidelity}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT.parent.parent / "shared" / "datasets" / "adult.csv"))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--out", default=str(ROOT / "results" / "conditional_sampling.json"))
    args = ap.parse_args()
    table = read_table(args.data)
    train, _ = train_test_split(table.data, test_size=0.2, stratify=table.data["income"], random_state=0)
    runs = []
    for seed in args.seeds:
        runs.append(run_seed(train, table.schema, seed, args.steps, args.rows))
        print(json.dumps(runs[-1], indent=1), flush=True)
    result = {"benchmark": "conditional_sampling", "data": Path(args.data).name, "train_rows": len(train),
              "steps": args.steps, "rows_per_call": args.rows, "rare_combination": RARE,
              "machine": {"python": platform.python_version(), "processor": platform.machine()},
              "command": "python bench/conditional_sampling.py " + " ".join(sys.argv[1:]), "runs": runs}
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
