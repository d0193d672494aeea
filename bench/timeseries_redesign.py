"""Time series, redesigned (issue 28): one run, every model on every set, the same judges, controls.

Sets (``--sets``):
- ``movements``: 80 training series of 150 steps, three classes that differ only in the shape of
  one movement (synthgan.datasets.movements); 300 holdout series.
- ``sines``: the labelled sines of requests/sines.yaml, 600 training series of 12-24 steps (two
  sensors, "fast"/"slow" sets the frequency); 300 holdout series.
- ``ArrowHead``, ``ItalyPowerDemand``, ``JapaneseVowels``: real labelled sets, read through sktime
  in bench/.venv-series-peers (bench/series_peers.py; nothing of theirs is shipped): train split to
  fit, test split as the holdout. JapaneseVowels has 12 features and 7-29 steps.
- ``timegan_sines``: TimeGAN's sines, ``--timegan-series`` series (3,000) of 24 steps, 5 features;
  a second draw of 1,000 series as the holdout.

Models (``--models``): ``synthgan`` (TimeSeriesGAN() at its defaults), the ablation variants of
``VARIANTS`` (each the defaults with one thing changed), and the peers ``dgan`` (DoppelGANger,
gretel-synthetics) and ``par`` (SDV's PARSynthesizer), each at its library's defaults.

Judges, all in this run: label accuracy train-on-synthetic / train-on-real on the holdout (ROCKET
and ridge), the strong discriminative score (ROCKET and ridge, |accuracy - 0.5|), a 2-layer GRU
judge of 32 units (the judge DoppelGANger's comparisons use), TimeGAN's predictive ratio, the
memorisation DCR p5 ratio (synthetic vs holdout distance to the closest training series) and the
length distribution (KS complement). Controls per set, same judges: a second real draw (the
holdout against the training series: the floor) and the training series plus N(0, 0.02) on the
[0, 1]-scaled values (a known-bad copy).

    python bench/timeseries_redesign.py --sets movements sines --models synthgan --seeds 0 1 2

writes bench/results/timeseries_redesign.json (merged by key, so runs can be added).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))
from synthgan import configure_threads  # noqa: E402
from synthgan.datasets import labelled_sines, movements, sines  # noqa: E402
from synthgan.evaluate.rocket import rocket_discriminative, rocket_label_accuracy  # noqa: E402
from synthgan.evaluate.timeseries import discriminative_score, evaluate_timeseries, scale_like  # noqa: E402
from synthgan.ingest.timeseries import read_series, series_from_arrays  # noqa: E402
from synthgan.synthesizers.timeseries import TimeSeriesGAN  # noqa: E402

# The ablation that chose the design ran at commit 824e6e7, which still had every option (the
# recurrent generator, concatenation, WGAN-GP, classifier guidance): its figures are in
# bench/results/timeseries_ablation.json and the docs' benchmarks page. The two parts of the
# design that remain settings can still be switched off here, one at a time.
VARIANTS: dict[str, dict] = {
    "synthgan": {},
    "no_moments": {"moment_weight": 0.0},
    "no_augment": {"augment": False},
}
PEERS = ("dgan", "par")


def _timegan(n: int, seed: int) -> pd.DataFrame:
    return series_from_arrays(sines(n, seed=seed))


def load_set(name: str, timegan_series: int) -> dict:
    """{"train", "holdout", "spec", "label"} of a set (long format)."""
    if name == "movements":
        return {"train": movements(80, seed=0), "holdout": movements(300, seed=101), "label": "shape",
                "spec": {"entity": "series", "time": "step", "static": ["shape", "site"], "features": ["signal"]}}
    if name == "sines":
        return {"train": labelled_sines(600, seed=0), "holdout": labelled_sines(300, seed=101), "label": "speed",
                "spec": {"entity": "machine", "time": "step", "static": ["speed", "site"],
                         "features": ["vibration", "temperature"]}}
    if name == "timegan_sines":
        train, hold = _timegan(timegan_series, 0), _timegan(1000, 1)
        feats = [c for c in train.columns if c not in ("series", "step")]
        return {"train": train, "holdout": hold, "label": None,
                "spec": {"entity": "series", "time": "step", "static": [], "features": feats}}
    from series_peers import load_sktime_set
    train, test = load_sktime_set(name)
    feats = [c for c in train.columns if c.startswith("f")]
    return {"train": train, "holdout": test, "label": "label",
            "spec": {"entity": "series", "time": "step", "static": ["label"], "features": feats}}


def arrays(spec: dict, *frames: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
    """(values, lengths) of each frame, padded with zeros to one length."""
    out = [read_series(d, spec["entity"], spec["time"], spec["features"], spec["static"]) for d in frames]
    t = max(s.max_len for s in out)
    return [(np.pad(s.values, ((0, 0), (0, t - s.max_len), (0, 0))), s.lengths) for s in out]


def fit_sample(model: str, data: dict, seed: int) -> tuple[pd.DataFrame, float]:
    """(synthetic series, as many as trained on; fit seconds)."""
    spec, train = data["spec"], data["train"]
    n = train[spec["entity"]].nunique()
    if model in PEERS:
        from series_peers import run_peer
        return run_peer(model, train, n, seed, **spec)
    t0 = time.perf_counter()
    gan = TimeSeriesGAN(random_state=seed, **VARIANTS.get(model, {})).fit(train, **spec)
    seconds = time.perf_counter() - t0
    return gan.sample(n, random_state=seed + 1), seconds


def gru_iterations(data: dict) -> int:
    """Iterations of the post-hoc GRUs: 1,000 (2,000 for the 2-layer judge) on series of up to 50
    steps; 300 (600) on longer ones, where a GRU step over 150-251 steps costs seconds on a CPU."""
    longest = data["train"].groupby(data["spec"]["entity"]).size().max()
    return 1000 if longest <= 50 else 300


def judge(data: dict, synth: pd.DataFrame, seed: int) -> dict:
    spec, label, its = data["spec"], data["label"], gru_iterations(data)
    ev = evaluate_timeseries(data["train"], synth, spec["entity"], spec["time"], spec["features"], spec["static"],
                             label=label, holdout=data["holdout"], random_state=seed, iterations=its).to_dict()
    real, syn = arrays(spec, data["train"], synth)
    rv, sv = scale_like(real[0], syn[0])
    gru = discriminative_score(rv, real[1], sv, syn[1], seed, iterations=2 * its, hidden=32, layers=2)
    return {"label_accuracy_trtr": (ev["label_accuracy"] or {}).get("trtr"),
            "label_accuracy_tstr": (ev["label_accuracy"] or {}).get("tstr"),
            "label_accuracy_ratio": ev["label_accuracy_ratio"], "strong_rocket": ev["discriminative_score_strong"],
            "gru_2x32": gru, "predictive_ratio": ev["predictive_ratio"],
            "dcr_p5_ratio": ev["memorisation"]["dcr_p5_ratio"], "mia_auc": ev["memorisation"]["mia_auc"],
            "exact_copies": ev["memorisation"]["exact_copies"], "length_shape": ev["length_shape"]}


def controls(data: dict, seed: int) -> dict:
    """The judges on the holdout (a second real draw: the floor) and on real plus noise."""
    spec, label = data["spec"], data["label"]
    real, hold = arrays(spec, data["train"], data["holdout"])
    rv, hv = scale_like(real[0], hold[0])
    noisy = rv + np.random.default_rng(seed).normal(0, 0.02, rv.shape).astype(np.float32)
    out = {}
    for name, (x, lengths) in {"second_real_draw": (hv, hold[1]), "real_plus_noise_0.02": (noisy, real[1])}.items():
        out[name] = {"strong_rocket": rocket_discriminative(rv, real[1], x, lengths, seed),
                     "gru_2x32": discriminative_score(rv, real[1], x, lengths, seed, iterations=2 * gru_iterations(data),
                                                      hidden=32, layers=2)}
    if label is not None:
        y = read_series(data["train"], spec["entity"], spec["time"], spec["features"], spec["static"]).static[label]
        yh = read_series(data["holdout"], spec["entity"], spec["time"], spec["features"], spec["static"]).static[label]
        out["label_accuracy_trtr"] = rocket_label_accuracy(rv, real[1], y.astype(str).to_numpy(), hv, hold[1],
                                                           yh.astype(str).to_numpy(), seed)
    return out


WORSE_HIGH = {"strong_rocket", "gru_2x32", "mia_auc", "fit_seconds"}     # lower is better for these
COLUMNS = ("label_accuracy_ratio", "strong_rocket", "gru_2x32", "predictive_ratio", "dcr_p5_ratio", "mia_auc",
           "length_shape", "fit_seconds")


def tables(out: dict) -> str:
    """One markdown table per set: each model's mean (worst seed) of every judge, then the controls."""
    lines = []
    for key in dict.fromkeys(r["set"] for r in out["runs"].values()):
        lines += [f"\n{key}\n", "| model | seeds | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 2) + "|"]
        runs = [r for r in out["runs"].values() if r["set"] == key]
        for model in dict.fromkeys(r["model"] for r in runs):
            mine = [r for r in runs if r["model"] == model]
            cells = []
            for c in COLUMNS:
                v = [r[c] for r in mine if r.get(c) is not None]
                worst = (max(v) if c in WORSE_HIGH else min(v)) if v else None
                cells.append("" if not v else f"{np.mean(v):.3g} ({worst:.3g})")
            lines.append(f"| {model} | {','.join(str(r['seed']) for r in mine)} | " + " | ".join(cells) + " |")
        ctl = out["controls"].get(key, {})
        lines.append("controls: " + json.dumps(ctl))
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sets", nargs="+", default=["movements", "sines", "ArrowHead", "ItalyPowerDemand",
                                                  "JapaneseVowels", "timegan_sines"])
    p.add_argument("--models", nargs="+", default=["synthgan"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--timegan-series", type=int, default=3000)
    p.add_argument("--out", default=str(ROOT / "results" / "timeseries_redesign.json"))
    p.add_argument("--table", action="store_true", help="print the tables of --out (mean (worst seed)) and exit")
    a = p.parse_args()
    out_path = Path(a.out)
    if a.table:
        print(tables(json.loads(out_path.read_text())))
        return
    configure_threads()
    out = json.loads(out_path.read_text()) if out_path.exists() else {"controls": {}, "runs": {}}
    for name in a.sets:
        data = load_set(name, a.timegan_series)
        key = name if name != "timegan_sines" else f"timegan_sines_{a.timegan_series}"
        if key not in out["controls"]:
            out["controls"][key] = controls(data, 0)
            print(key, "controls", json.dumps(out["controls"][key]), flush=True)
        for model in a.models:
            for seed in a.seeds:
                synth, seconds = fit_sample(model, data, seed)
                r = {"set": key, "model": model, "seed": seed, "fit_seconds": round(seconds, 1),
                     "settings": VARIANTS.get(model, {}) if model not in PEERS else "library defaults",
                     **judge(data, synth, seed)}
                out["runs"][f"{key}/{model}/{seed}"] = r
                print(json.dumps(r), flush=True)
                out_path.parent.mkdir(parents=True, exist_ok=True)
                out_path.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
