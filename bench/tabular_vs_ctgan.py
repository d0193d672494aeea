"""TabularGAN against CTGAN and TVAE (ctgan 0.12.1) on UCI Adult and two small tables, in one run.

Adult: stratified 80/20 split (seed 0); each model is fitted on the same training rows at the same
epochs (``--epochs``, e.g. 100 and 300; batch size 500) and seeds, samples as many rows as it was
trained on, and every table is scored by the same judges in the same run:

- ``synthgan.evaluate.evaluate_tabular``: detection ROC AUC (gradient boosting, real vs synthetic),
  column shapes, pair trends, train-on-synthetic / train-on-real ratios of macro-F1 and ROC AUC
  (gradient boosting and a linear model, tested on the real holdout), DCR 5th-percentile ratio,
  exact-copy rate, membership-inference AUC;
- SDMetrics 0.32's QualityReport (in bench/.venv-peers);
- beside them, controls scored by the same judges: the real holdout rows (real vs real: the floor)
  and two known-bad copies of them (each column shuffled on its own; numbers plus noise of 0.5
  standard deviations and 20% of categorical cells redrawn), which must score clearly worse.

Small tables (scikit-learn's wine, 178 rows, and breast_cancer, 569 rows; 70/30 split stratified on
the class, per seed): every model with its defaults (TabularGAN() / CTGAN() / TVAE(): 300 epochs);
train-on-synthetic / train-on-real accuracy of gradient boosting and a linear model on the real
test rows, the largest relative gap between a class's synthetic and real numeric means, fit time.

CTGAN and TVAE pin pandas < 3, so they run in their own environment (bench/.venv-peers, created on
first use) through bench/_ctgan_worker.py.

    python bench/tabular_vs_ctgan.py --data ../shared/datasets/adult.csv --epochs 100 300 --seeds 0 1
writes bench/results/tabular_vs_ctgan.json.
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
from synthgan import TabularGAN, read_table  # noqa: E402
from synthgan.evaluate import evaluate_tabular  # noqa: E402
from synthgan.evaluate.frames import prepare  # noqa: E402
from synthgan.evaluate.privacy import privacy  # noqa: E402
from synthgan.evaluate.utility import utility  # noqa: E402
from synthgan.schema import infer_schema  # noqa: E402

sys.path.insert(0, str(ROOT))
from _peers import ensure_peer_env  # noqa: E402
from evaluate_adult import run_sdmetrics, shuffled  # noqa: E402

TARGET = "income"
PEERS = ("ctgan", "tvae")


def fit_peer(model: str, train: pd.DataFrame, discrete: list[str], epochs: int | None, seed: int,
             work: Path) -> tuple[pd.DataFrame, dict]:
    """Fit CTGAN or TVAE in the peer environment; (its sample of len(train) rows, timings)."""
    py = ensure_peer_env()
    train_csv, out_json, out_csv = work / "train.csv", work / f"{model}.json", work / f"{model}_synth.csv"
    train.to_csv(train_csv, index=False)
    cmd = [str(py), str(ROOT / "_ctgan_worker.py"), "--model", model, "--train", str(train_csv),
           "--discrete", ",".join(discrete), "--epochs", str(epochs or 300), "--seed", str(seed),
           "--samples", str(len(train)), "--out-json", str(out_json), "--out-csv", str(out_csv)]
    subprocess.run(cmd, check=True)
    res = json.loads(out_json.read_text())
    synth = pd.read_csv(out_csv)
    for c in train.columns:                     # CSV round trip: give the sample the real dtypes back
        if pd.api.types.is_numeric_dtype(train[c]):
            synth[c] = pd.to_numeric(synth[c], errors="coerce")
        else:
            synth[c] = synth[c].astype(object).where(synth[c].notna(), None).astype(train[c].dtype)
    return synth, {"fit_seconds": res["fit_seconds"], "seconds_per_epoch": statistics.median(res["epoch_seconds"])}


def fit_ours(train: pd.DataFrame, discrete: list[str], epochs: int | None, seed: int) -> tuple[pd.DataFrame, dict]:
    t0 = time.perf_counter()
    kw = {"epochs": epochs, "min_steps": 0} if epochs else {}      # equal epochs with the peers; else defaults
    gan = TabularGAN(random_state=seed, **kw).fit(train, discrete_columns=discrete)
    fit_s = time.perf_counter() - t0
    return gan.sample(len(train), random_state=seed + 1), {
        "fit_seconds": fit_s, "seconds_per_epoch": statistics.median(r["seconds"] for r in gan.history_),
        "epochs_run": len(gan.history_)}


def fit_model(model: str, train, discrete, epochs, seed, work) -> tuple[pd.DataFrame, dict]:
    if model == "synthgan":
        return fit_ours(train, discrete, epochs, seed)
    return fit_peer(model, train, discrete, epochs, seed, work)


def noisy(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Real rows plus noise: numbers + N(0, 0.5 sd), 20% of categorical cells redrawn from the column."""
    rng = np.random.default_rng(seed)
    out = df.copy()
    for c in df.columns:
        if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]):
            v = df[c].to_numpy(dtype=float)
            v = v + rng.normal(0, 0.5 * np.nanstd(v), len(v))
            out[c] = np.round(v) if pd.api.types.is_integer_dtype(df[c]) else v
            out[c] = out[c].astype(df[c].dtype) if not np.isnan(v).any() else out[c]
        else:
            redraw = rng.random(len(df)) < 0.2
            vals = df[c].to_numpy(dtype=object)
            vals[redraw] = vals[rng.integers(len(df), size=int(redraw.sum()))]
            out[c] = pd.Series(vals, index=df.index).astype(df[c].dtype)
    return out


def scores(train: pd.DataFrame, holdout: pd.DataFrame, synth: pd.DataFrame, target: str, schema,
           with_utility: bool = True) -> dict:
    r = evaluate_tabular(train, holdout, synth, target=target if with_utility else None, schema=schema)
    out = {"detection_auc": r.detection_auc, "column_shapes": r.fidelity.column_shapes_score,
           "pair_trends": r.fidelity.pair_trends_score, "dcr_p5_ratio": r.privacy.dcr_p5_ratio,
           "exact_copy_rate": r.privacy.exact_copy_rate, "membership_auc": r.privacy.mia_auc}
    if with_utility and r.utility is not None:
        for metric in ("f1_macro", "roc_auc"):
            vals = [m.ratio[metric] for m in r.utility.models]
            out[f"tstr_trtr_{metric}"] = float(np.mean(vals))
            out[f"tstr_trtr_{metric}_by_model"] = {m.family: m.ratio[metric] for m in r.utility.models}
    return out


def adult_section(path: str, epochs_list: list[int], seeds: list[int], long_seeds: list[int], models: list[str],
                  work: Path) -> dict:
    real = read_table(path)
    discrete = [c for c in real.data.columns if not pd.api.types.is_numeric_dtype(real.data[c])]
    train, holdout = train_test_split(real.data, test_size=0.2, stratify=real.data[TARGET], random_state=0)
    train, holdout = train.reset_index(drop=True), holdout.reset_index(drop=True)
    runs, tables = [], {}
    for epochs in epochs_list:
        for seed in (seeds if epochs == min(epochs_list) else long_seeds):
            for model in models:
                print(f"Adult: {model}, {epochs} epochs, seed {seed}", flush=True)
                synth, timing = fit_model(model, train, discrete, epochs, seed, work)
                rec = {"model": model, "epochs": epochs, "seed": seed, **timing,
                       **scores(train, holdout, synth, TARGET, real.schema)}
                for c in ("capital-gain", "capital-loss"):
                    rec[f"{c} zero share"] = float((synth[c] == 0).mean())
                rec["native-country null share"] = float(synth["native-country"].isna().mean())
                runs.append(rec)
                tables[f"{model}_{epochs}_{seed}"] = synth
                print(json.dumps({k: v for k, v in rec.items() if not isinstance(v, dict)}), flush=True)
    controls = {"real_holdout": holdout, "shuffled_holdout": shuffled(holdout, 7), "noisy_holdout": noisy(holdout, 7)}
    control_scores = {name: scores(train, holdout, df, TARGET, real.schema, with_utility=False)
                      for name, df in controls.items()}
    print("SDMetrics QualityReport", flush=True)
    sdm = run_sdmetrics(train, {**tables, **controls}, real.schema, work)
    for rec in runs:
        s = sdm[f"{rec['model']}_{rec['epochs']}_{rec['seed']}"]
        rec["sdmetrics_quality"] = s["score"]
    for name in controls:
        control_scores[name]["sdmetrics_quality"] = sdm[name]["score"]
    real_stats = {f"{c} zero share": float((train[c] == 0).mean()) for c in ("capital-gain", "capital-loss")}
    real_stats["native-country null share"] = float(train["native-country"].isna().mean())
    return {"setup": {"train_rows": len(train), "holdout_rows": len(holdout), "batch_size": 500,
                      "split": "stratified on income, 80/20, seed 0", "synthetic_rows": len(train)},
            "real": real_stats, "runs": runs, "controls": control_scores,
            "summary": summarise(runs)}


def summarise(runs: list[dict]) -> dict:
    """Mean and range over seeds of each model and epoch budget."""
    out = {}
    keys = sorted({k for r in runs for k, v in r.items() if isinstance(v, float)})
    for (model, epochs) in sorted({(r["model"], r.get("epochs", 0)) for r in runs}):
        group = [r for r in runs if r["model"] == model and r.get("epochs", 0) == epochs]
        name = f"{model}_{epochs}" if epochs else model
        out[name] = {k: {"mean": float(np.mean([g[k] for g in group])), "min": float(np.min([g[k] for g in group])),
                         "max": float(np.max([g[k] for g in group]))}
                     for k in keys if all(k in g and g[k] is not None for g in group)}
        out[name]["seeds"] = [g["seed"] for g in group]
    return out


def small_section(name: str, seeds: list[int], models: list[str], work: Path) -> dict:
    from sklearn import datasets
    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    df = bunch.frame.rename(columns={"target": "label"})
    df["label"] = df["label"].map(lambda i: f"class_{i}").astype("str")
    runs = []
    for seed in seeds:
        train, test = train_test_split(df, test_size=0.3, stratify=df["label"], random_state=seed)
        train, test = train.reset_index(drop=True), test.reset_index(drop=True)
        schema = infer_schema(train, discrete_columns=["label"])
        # The control: the real test rows' class means against the training rows' (sampling noise alone).
        runs.append({"model": "real_test_rows", "seed": seed, **class_mean_gaps(train, test)})
        for model in models:
            print(f"{name}: {model}, defaults, seed {seed}", flush=True)
            synth, timing = fit_model(model, train, ["label"], None, seed, work)
            rec = {"model": model, "seed": seed, **timing, **small_scores(train, test, synth, schema)}
            runs.append(rec)
            print(json.dumps(rec), flush=True)
    return {"setup": {"rows": len(df), "columns": df.shape[1], "classes": int(df["label"].nunique()),
                      "split": "70/30 stratified on the class, seed = run seed", "settings": "each model's defaults"},
            "runs": runs, "summary": summarise(runs)}


def small_scores(train: pd.DataFrame, test: pd.DataFrame, synth: pd.DataFrame, schema) -> dict:
    tables = prepare(train, test, synth, target="label", schema=schema)
    u = utility(tables, np.random.default_rng(0))
    priv = privacy(tables, np.random.default_rng(0))
    acc = {m.family: m.ratio["accuracy"] for m in u.models}
    return {"tstr_trtr_accuracy": float(np.mean(list(acc.values()))), "tstr_trtr_accuracy_by_model": acc,
            **class_mean_gaps(train, synth),
            "dcr_p5_ratio": priv.dcr_p5_ratio, "exact_copy_rate": priv.exact_copy_rate, "membership_auc": priv.mia_auc}


def class_mean_gaps(train: pd.DataFrame, other: pd.DataFrame) -> dict:
    """Relative gaps |mean_other - mean_train| / |mean_train| of every numeric column within every class."""
    gaps = []
    for cls, real_group in train.groupby("label"):
        group = other[other["label"] == cls]
        for c in train.columns.drop("label"):
            real_mean = real_group[c].mean()
            mean = group[c].mean() if len(group) else np.nan
            gaps.append(abs(mean - real_mean) / abs(real_mean) if real_mean else abs(mean))
    gaps = np.asarray(gaps, dtype=float)
    finite = np.isfinite(gaps).any()
    return {"class_mean_gap_max": float(np.nanmax(gaps)) if finite else float("nan"),
            "class_mean_gap_median": float(np.nanmedian(gaps)) if finite else float("nan"),
            "class_means_within_5pct": float(np.mean(gaps <= 0.05))}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(ROOT.parent.parent / "shared" / "datasets" / "adult.csv"))
    p.add_argument("--epochs", type=int, nargs="+", default=[100, 300])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="seeds of the shortest budget")
    p.add_argument("--long-seeds", type=int, nargs="+", default=[0], help="seeds of the longer budgets")
    p.add_argument("--small-seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--models", nargs="+", default=["synthgan", *PEERS])
    p.add_argument("--small", nargs="*", default=["wine", "breast_cancer"], help="small tables to run")
    p.add_argument("--skip-adult", action="store_true")
    p.add_argument("--out", default=str(ROOT / "results" / "tabular_vs_ctgan.json"))
    a = p.parse_args()
    warnings.simplefilter("ignore")
    result = {"command": " ".join(sys.argv), "models": {"synthgan": "TabularGAN (this repository)",
                                                       "ctgan": "CTGAN, ctgan 0.12.1", "tvae": "TVAE, ctgan 0.12.1"}}
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in a.small:
            result[name] = small_section(name, a.small_seeds, a.models, work)
            out.write_text(json.dumps(result, indent=2, default=float) + "\n")   # each section as it ends
        if not a.skip_adult:
            result["adult"] = adult_section(a.data, a.epochs, a.seeds, a.long_seeds, a.models, work)
    out.write_text(json.dumps(result, indent=2, default=float) + "\n")
    print(json.dumps({k: v.get("summary") for k, v in result.items() if isinstance(v, dict) and "summary" in v},
                     indent=1, default=float))


if __name__ == "__main__":
    main()
