"""Differentially private TimeSeriesGAN on labelled sines: what a budget costs a series model.

The labelled sines of requests/sines.yaml (synthgan.datasets.labelled_sines: two sensors, 12-24
steps, a "fast"/"slow" label that sets the frequency, a site): ``--series`` training series drawn
with the seed, 500 holdout series (seed 101). DP needs many rows, as the privacy unit is one series:
at 2,000 series and batch 128 a series joins 6.4 % of the batches.

For each seed, TimeSeriesGANs with the same step budget (``--steps`` generator steps for the
series and for the static attributes):
- ``no_dp``: the house default;
- ``no_dp_plain``: without the loss DP turns off (the moment loss: moments and texture), so that
  the cost of DP's noise and the cost of that loss are told apart;
- ``dp_eps10``, ``dp_eps3``: DP, delta 1e-5 (synthgan.train.private): the static attributes (label,
  site, length: 78 cells) as a noisy count table, the feature critic by DP-SGD;
- ``dp_eps3_static_gan``: the same at epsilon 3 with the static attributes learned by a DP
  TabularGAN instead (``static_histogram="never"``, as before the count table).
Each samples as many series as it was trained on; ``evaluate_timeseries`` scores them: label
accuracy train-on-synthetic / train-on-real on the holdout (ROCKET + ridge), the strong
discriminative score (ROCKET + ridge), the predictive ratio, the memorisation DCR ratio and the
distance membership-inference AUC (training vs holdout series, by closeness to the synthetic ones),
and the share of "fast" series (0.25 in the real data: how well the static attributes were learned).

Controls, scored by the same judges in the same run: the holdout series as the synthetic set (the
floor; its label ratio is inflated, the holdout being the test set, and its membership AUC is
meaningless, its series being the attack's non-members) and the training series plus N(0, 0.05)
noise per value in units of each feature's range (known bad).

Training time is a ratio to ``no_dp`` of the same seed, in the same process.

    python bench/dp_series.py --seeds 0 1
writes bench/results/dp_series.json;
    python bench/dp_series.py --seeds 0 1 --configs no_dp dp_eps3 dp_eps3_static_gan dp_eps10 \
        --out bench/results/dp_series_histogram.json
the count table against the DP TabularGAN for the static attributes, in the same run (the run
behind the README table);
    python bench/dp_series.py --seeds 0 1 --series 5000 --configs no_dp dp_eps3 --out bench/results/dp_series_5000.json
the larger set (a series joins 2.6 % of the batches).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
from synthgan.datasets import labelled_sines  # noqa: E402
from synthgan.evaluate.timeseries import evaluate_timeseries  # noqa: E402
from synthgan.synthesizers.timeseries import TimeSeriesGAN  # noqa: E402

SPEC = {"entity": "machine", "time": "step", "static": ["speed", "site"], "features": ["vibration", "temperature"]}
LABEL = "speed"
DELTA = 1e-5
PLAIN = {"moment_weight": 0.0}
CONFIGS = {"no_dp": {}, "no_dp_plain": PLAIN,
           "dp_eps10": {"privacy": {"epsilon": 10.0, "delta": DELTA}},
           "dp_eps3": {"privacy": {"epsilon": 3.0, "delta": DELTA}},
           "dp_eps3_static_gan": {"privacy": {"epsilon": 3.0, "delta": DELTA}, "static_histogram": "never"}}


def scores(train, hold, synth, seed: int) -> dict:
    ev = evaluate_timeseries(train, synth, SPEC["entity"], SPEC["time"], SPEC["features"], SPEC["static"],
                             label=LABEL, holdout=hold, random_state=seed, iterations=1000).to_dict()
    memo = ev["memorisation"]
    fast = synth.groupby(SPEC["entity"])[LABEL].first().eq("fast").mean()      # the real share is 0.25
    return {"label_accuracy_ratio": round(ev["label_accuracy_ratio"], 4), "fast_share": round(float(fast), 4),
            "label_accuracy_tstr": round(ev["label_accuracy"]["tstr"], 4),
            "discriminative_strong": round(ev["discriminative_score_strong"], 4),
            "predictive_ratio": round(ev["predictive_ratio"], 4), "dcr_p5_ratio": round(memo["dcr_p5_ratio"], 4),
            "exact_copies": memo["exact_copies"], "mia_auc": round(memo["mia_auc"], 4)}


def noisy(train, seed: int):
    """The training series plus N(0, 0.05 x the feature's range) per value: a known-bad copy."""
    rng = np.random.default_rng(seed)
    out = train.copy()
    for f in SPEC["features"]:
        span = float(train[f].max() - train[f].min())
        out[f] = train[f] + rng.normal(0, 0.05 * span, len(train))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--series", type=int, default=2000)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=str(ROOT / "results" / "dp_series.json"))
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    hold = labelled_sines(500, seed=101)
    out = {"series": a.series, "holdout_series": 500, "steps": a.steps, "delta": DELTA, "threads": a.threads,
           "configs": {k: CONFIGS[k] for k in a.configs}, "runs": []}
    for seed in a.seeds:
        train = labelled_sines(a.series, seed=seed)
        controls = {"real_holdout": scores(train, hold, hold, seed), "real_plus_noise": scores(train, hold, noisy(train, seed), seed)}
        print(f"seed {seed} controls {controls}", flush=True)
        base = None
        for name in a.configs:
            gan = TimeSeriesGAN(epochs=1, min_steps=a.steps, static_epochs=1, static_min_steps=a.steps,
                                random_state=seed, **CONFIGS[name])
            t0 = time.perf_counter()
            gan.fit(train, **SPEC)
            seconds = time.perf_counter() - t0
            base = seconds if base is None else base
            synth = gan.sample(a.series, random_state=seed + 1)
            row = {"seed": seed, "config": name, "train_seconds": round(seconds, 1),
                   "time_ratio_to_no_dp": round(seconds / base, 2), "privacy_spent": gan.privacy_spent_,
                   "static_model": type(gan.static_gan_).__name__,
                   **scores(train, hold, synth, seed)}
            print(json.dumps(row), flush=True)
            out["runs"].append(row)
            Path(a.out).write_text(json.dumps(out, indent=1))
        out["runs"].append({"seed": seed, "controls": controls})
    Path(a.out).write_text(json.dumps(out, indent=1))
    print(f"written {a.out}")


if __name__ == "__main__":
    main()
