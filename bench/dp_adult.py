"""Differentially private TabularGAN on UCI Adult: what a budget costs in quality and time.

Adult is split 80/20 (stratified on income, by the seed): 26,048 training rows, 6,513 holdout.
For each seed, five TabularGANs are fitted on the same rows with the same step budget
(``--steps`` optimiser steps, batch 500): without DP (pac 10, gradient penalty at interpolates),
with the house default critic (256, 256) and with the narrower (128, 128) critic the DP runs use,
and with DP-SGD at epsilon 10, 3 and 1 (delta 1e-5, RDP accountant, clipping norm 1; see
synthgan.train.private). Each samples as many rows as it was trained on, and
``evaluate_tabular`` scores them against the real rows: fidelity (column shapes and pair trends),
detection AUC, utility ratio (macro-F1 on income, train-on-synthetic / train-on-real, test on the
holdout), DCR median ratio (synthetic / holdout distance to the closest training row) and the
membership-inference AUC.

Controls, scored by the same judge in the same run: the real holdout rows as the synthetic table
(the floor: real vs real; its utility is inflated, since the holdout is also the test set, and its
membership AUC is meaningless, its rows being the attack's non-members) and the training rows with
every column shuffled on its own (known bad).

Training time is a ratio to the fit without DP of the same seed, in the same process.

    python bench/dp_adult.py --seeds 0 1
writes bench/results/dp_adult.json;
    python bench/dp_adult.py --seeds 0 1 --steps 2500 --epsilons 3 --out bench/results/dp_adult_2500.json
the longer budget at epsilon 3.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd
import torch
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
from synthgan import TabularGAN, read_table  # noqa: E402
from synthgan.evaluate import evaluate_tabular  # noqa: E402

sys.path.insert(0, str(ROOT))
from evaluate_adult import shuffled  # noqa: E402  (the known-bad control: each column shuffled on its own)

TARGET = "income"
# (epsilon, critic widths) without DP: the house default and the DP runs' narrower critic
# (per-sample gradients cost time and noise in proportion to the critic's weights); then --epsilons
DP_CRITIC = (128, 128)
BUDGETS = [(None, (256, 256)), (None, DP_CRITIC)]
DELTA = 1e-5


def scores(train: pd.DataFrame, holdout: pd.DataFrame, synth: pd.DataFrame, seed: int) -> dict:
    r = evaluate_tabular(train, holdout, synth[train.columns], target=TARGET, random_state=seed)
    return {"fidelity": round(r.fidelity.score, 4), "detection_auc": round(r.detection_auc, 4),
            "utility_ratio": round(r.utility.ratio, 4), "dcr_median_ratio": round(r.privacy.dcr_median_ratio, 4),
            "mia_auc": round(r.privacy.mia_auc, 4)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(ROOT.parent.parent / "shared" / "datasets" / "adult.csv"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--epsilons", type=float, nargs="+", default=[10.0, 3.0, 1.0],
                   help="the DP budgets (the two fits without DP always run)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=str(ROOT / "results" / "dp_adult.json"))
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    table = read_table(a.data)
    df = table.data
    runs = []
    for seed in a.seeds:
        train, holdout = train_test_split(df, test_size=0.2, random_state=seed, stratify=df[TARGET])
        train, holdout = train.reset_index(drop=True), holdout.reset_index(drop=True)
        controls = {"real_holdout": scores(train, holdout, holdout, seed),
                    "shuffled_columns": scores(train, holdout, shuffled(train, seed), seed)}
        print(f"seed {seed} controls {controls}", flush=True)
        base = None
        for eps, dims in BUDGETS + [(e, DP_CRITIC) for e in a.epsilons]:
            privacy = None if eps is None else {"epsilon": eps, "delta": DELTA}
            gan = TabularGAN(epochs=1, min_steps=a.steps, random_state=seed, privacy=privacy, discriminator_dim=dims)
            t0 = time.perf_counter()
            gan.fit(train, schema=table.schema)
            seconds = time.perf_counter() - t0
            base = seconds if base is None else base          # the house default without DP
            synth = gan.sample(len(train), random_state=seed)
            row = {"seed": seed, "epsilon_target": eps, "critic": list(dims), "train_seconds": round(seconds, 1),
                   "time_ratio_to_no_dp": round(seconds / base, 2), "privacy_spent": gan.privacy_spent_,
                   **scores(train, holdout, synth, seed)}
            print(json.dumps(row), flush=True)
            runs.append(row)
        runs.append({"seed": seed, "controls": controls})
    out = {"data": a.data, "train_rows": int(len(df) * 0.8), "steps": a.steps, "batch_size": 500, "delta": DELTA,
           "threads": a.threads, "runs": runs}
    Path(a.out).write_text(json.dumps(out, indent=1))
    print(f"written {a.out}")


if __name__ == "__main__":
    main()
