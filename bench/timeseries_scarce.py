"""Conditional time series on scarce data: does a classifier trained on synthetic series recognise
the classes of real ones?

Two labelled sets, both generated here (nothing downloaded):
- ``movements`` (synthgan.datasets.movements): 80 training series of 150 steps, three classes that
  differ only in the shape of one movement (spike, plateau, double spike); 300 holdout series.
- ``sines`` (the labelled sines of requests/sines.yaml): 600 series of 12-24 steps, two sensors, a
  "fast"/"slow" label that sets the frequency; 300 holdout series.

For each set and seed: fit TimeSeriesGAN (the configuration named), sample as many series as
trained on, and score with synthgan.evaluate.evaluate_timeseries: label accuracy train-on-synthetic
vs train-on-real (ROCKET + ridge, tested on the holdout), the strong discriminative score (ROCKET +
ridge) beside TimeGAN's paper-sized GRU score, the predictive ratio and the memorisation DCR ratio.
The strong judge's controls run in the same script: a second real draw (the floor) and real plus
N(0, 0.02) noise on the [0, 1]-scaled values (a known-bad copy).

    python bench/timeseries_scarce.py --seeds 0 1 --configs default baseline
writes bench/results/timeseries_scarce.json. ``default`` is TimeSeriesGAN(); ``baseline`` the
same network without the scarce-data parts (no step budget, no augmentation, no moment loss, one
global range per feature); ``no_moments``, ``no_augment`` and ``global_scale`` switch off one part
each; ``steps8000`` doubles the step budget. (The configurations of the recurrent design before the
redesign, ``no_guidance``, ``no_texture``, ``guide_shape``, ``no_roughness``, ran at commit 824e6e7;
their figures are on the docs' benchmarks page.)
A third set, ``scaled_sines``, is the labelled sines with machines of very different sizes and
levels (vibration times exp(N(0, 1)), temperature plus N(0, 30) per machine): per-series scaling
(``series_scale``, chosen by ``auto`` here) against ``global_scale``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
from synthgan.datasets import labelled_sines, movements  # noqa: E402
from synthgan.evaluate.rocket import rocket_discriminative  # noqa: E402
from synthgan.evaluate.timeseries import evaluate_timeseries, scale_like  # noqa: E402
from synthgan.ingest.timeseries import read_series  # noqa: E402
from synthgan.synthesizers.timeseries import TimeSeriesGAN  # noqa: E402

def scaled(df, seed: int):
    """Labelled sines of machines of different sizes and sites: per machine, vibration times
    exp(N(0, 1)) and temperature plus N(0, 30), so a typical series spans a small part of the
    feature's whole range (what per-series scaling is for)."""
    rng = np.random.default_rng(seed + 1000)
    n = df["machine"].max() + 1
    gain, offset = np.exp(rng.normal(0, 1.0, n)), rng.normal(0, 30.0, n)
    return df.assign(vibration=df["vibration"] * gain[df["machine"]],
                     temperature=df["temperature"] + offset[df["machine"]])


CONFIGS = {
    "default": {},
    "baseline": {"min_steps": 0, "static_min_steps": 0, "augment": False, "moment_weight": 0.0,
                 "series_scale": "global"},
    "no_moments": {"moment_weight": 0.0},
    "no_augment": {"augment": False},
    "global_scale": {"series_scale": "global"},
    "steps8000": {"min_steps": 8000},
}
SETS = {
    "movements": {"make": lambda s: movements(80, seed=s), "holdout": lambda: movements(300, seed=101),
                  "spec": {"entity": "series", "time": "step", "static": ["shape", "site"], "features": ["signal"]},
                  "label": "shape", "epochs": 300},
    "sines": {"make": lambda s: labelled_sines(600, seed=s), "holdout": lambda: labelled_sines(300, seed=101),
              "spec": {"entity": "machine", "time": "step", "static": ["speed", "site"],
                       "features": ["vibration", "temperature"]},
              "label": "speed", "epochs": 60},
}
SETS["scaled_sines"] = dict(SETS["sines"], make=lambda s: scaled(labelled_sines(600, seed=s), s),
                            holdout=lambda: scaled(labelled_sines(300, seed=101), 101))


def controls(name: str, seed: int) -> dict:
    """The strong judge on a second real draw and on real plus small noise, same data sizes."""
    d = SETS[name]
    spec = d["spec"]
    a = read_series(d["make"](seed), spec["entity"], spec["time"], spec["features"], spec["static"])
    b = read_series(d["make"](seed + 50), spec["entity"], spec["time"], spec["features"], spec["static"])
    av, bv = scale_like(a.values, b.values)
    noisy = av + np.random.default_rng(seed).normal(0, 0.02, av.shape).astype(np.float32)
    return {"second_real_draw": rocket_discriminative(av, a.lengths, bv, b.lengths, seed),
            "real_plus_noise_0.02": rocket_discriminative(av, a.lengths, noisy, a.lengths, seed)}


def run(name: str, config: str, seed: int) -> dict:
    d = SETS[name]
    train, hold = d["make"](0), d["holdout"]()
    spec = d["spec"]
    t0 = time.perf_counter()
    gan = TimeSeriesGAN(epochs=d["epochs"], random_state=seed, **CONFIGS[config]).fit(train, **spec)
    fit_s = time.perf_counter() - t0
    synth = gan.sample(train[spec["entity"]].nunique(), random_state=seed + 1)
    ev = evaluate_timeseries(train, synth, spec["entity"], spec["time"], spec["features"], spec["static"],
                             label=d["label"], holdout=hold, random_state=seed, iterations=1000).to_dict()
    return {"set": name, "config": config, "seed": seed, "fit_seconds": round(fit_s, 1),
            "label_accuracy_trtr": ev["label_accuracy"]["trtr"], "label_accuracy_tstr": ev["label_accuracy"]["tstr"],
            "label_accuracy_ratio": ev["label_accuracy_ratio"],
            "discriminative_strong": ev["discriminative_score_strong"], "discriminative_gru": ev["discriminative_score"],
            "predictive_ratio": ev["predictive_ratio"], "dcr_p5_ratio": ev["memorisation"]["dcr_p5_ratio"],
            "exact_copies": ev["memorisation"]["exact_copies"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    p.add_argument("--configs", nargs="+", default=["default", "baseline"], choices=list(CONFIGS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    p.add_argument("--out", default=str(ROOT / "results" / "timeseries_scarce.json"))
    a = p.parse_args()
    out = {"sets": {k: {"label": SETS[k]["label"], "epochs": SETS[k]["epochs"]} for k in a.sets},
           "configs": {k: CONFIGS[k] for k in a.configs}, "controls": {}, "runs": []}
    for name in a.sets:
        out["controls"][name] = controls(name, 0)
        print(name, "controls", out["controls"][name], flush=True)
        for config in a.configs:
            for seed in a.seeds:
                r = run(name, config, seed)
                out["runs"].append(r)
                print(json.dumps(r), flush=True)
                Path(a.out).parent.mkdir(parents=True, exist_ok=True)
                Path(a.out).write_text(json.dumps(out, indent=2) + "\n")
    summary = {}
    for r in out["runs"]:
        summary.setdefault(f"{r['set']}/{r['config']}", []).append(r)
    out["summary"] = {k: {m: float(np.mean([r[m] for r in rs])) for m in
                          ("label_accuracy_ratio", "discriminative_strong", "discriminative_gru", "predictive_ratio",
                           "dcr_p5_ratio", "fit_seconds")} for k, rs in summary.items()}
    Path(a.out).write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out["summary"], indent=2))


if __name__ == "__main__":
    main()
