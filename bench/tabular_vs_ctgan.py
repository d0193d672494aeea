"""TabularGAN against CTGAN 0.12.x on UCI Adult, in one run.

Stratified 80/20 split (seed 0), batch size 500, the same number of epochs for both. CTGAN runs in
its own virtual environment (bench/.venv-peers, created on first use: it pins pandas < 3) through
bench/_ctgan_worker.py. Both synthetic tables are scored the same way: a
HistGradientBoostingClassifier trained on them predicts income on the real holdout (TSTR), next
to one trained on the real training rows (TRTR).

Because these machines are noisy, the speed figures are ratios of medians: every epoch of both
full fits is timed, plus ``--rounds`` short fits of each, interleaved.

    python bench/tabular_vs_ctgan.py --data ../shared/datasets/adult.csv --epochs 50
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

import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
from synthgan import TabularGAN, read_table  # noqa: E402

sys.path.insert(0, str(ROOT))
from _peers import ensure_peer_env  # noqa: E402
from _timing import median_of_three  # noqa: E402

TARGET, POSITIVE = "income", ">50K"


def run_ctgan(py: Path, train_csv: Path, discrete: list[str], epochs: int, samples: int, work: Path) -> dict:
    out_json, out_csv = work / "ctgan.json", work / "ctgan_synth.csv"
    cmd = [str(py), str(ROOT / "_ctgan_worker.py"), "--train", str(train_csv), "--discrete", ",".join(discrete),
           "--epochs", str(epochs), "--samples", str(samples), "--out-json", str(out_json), "--out-csv", str(out_csv)]
    subprocess.run(cmd, check=True)
    res = json.loads(out_json.read_text())
    if samples:
        res["synthetic"] = pd.read_csv(out_csv, skipinitialspace=True)
    return res


def run_ours(train: pd.DataFrame, discrete: list[str], epochs: int, samples: int) -> dict:
    t0 = time.perf_counter()
    gan = TabularGAN(epochs=epochs, batch_size=500, random_state=0).fit(train, discrete_columns=discrete)
    res = {"transformer_fit_seconds": gan.transformer_seconds_, "fit_seconds": time.perf_counter() - t0,
           "epoch_seconds": [r["seconds"] for r in gan.history_]}
    if samples:
        gan.sample(1000, random_state=1)
        res["synthetic"], res["sample_seconds"] = median_of_three(lambda: gan.sample(samples, random_state=2))
        res["sample_rows"] = samples
    return res


def utility(train: pd.DataFrame, holdout: pd.DataFrame, discrete: list[str]) -> dict:
    """HistGradientBoosting trained on ``train``, scored on the real ``holdout``."""
    features = [c for c in holdout.columns if c != TARGET]
    cats = [c for c in discrete if c != TARGET]

    def prep(df: pd.DataFrame) -> pd.DataFrame:
        x = df[features].copy()
        for c in cats:
            x[c] = pd.Categorical(x[c].astype(object), categories=sorted(holdout[c].dropna().unique()))
        return x

    y = (train[TARGET].astype(str).str.strip() == POSITIVE).astype(int)
    y_true = (holdout[TARGET] == POSITIVE).astype(int)
    clf = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    clf.fit(prep(train), y)
    proba = clf.predict_proba(prep(holdout))[:, 1]
    pred = (proba >= 0.5).astype(int)
    return {"accuracy": accuracy_score(y_true, pred), "f1_positive": f1_score(y_true, pred),
            "roc_auc": roc_auc_score(y_true, proba)}


def summarise(res: dict, extra_epochs: list[float]) -> dict:
    epochs = res["epoch_seconds"] + extra_epochs
    return {"transformer_fit_seconds": res["transformer_fit_seconds"],
            "seconds_per_epoch": statistics.median(epochs), "epochs_timed": len(epochs),
            "sampling_rows_per_second": res["sample_rows"] / res["sample_seconds"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(ROOT.parent.parent / "shared" / "datasets" / "adult.csv"))
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--rounds", type=int, default=2, help="interleaved short timing fits of each model")
    p.add_argument("--round-epochs", type=int, default=3)
    p.add_argument("--samples", type=int, default=26048)
    p.add_argument("--out", default=str(ROOT / "results" / "tabular_vs_ctgan.json"))
    a = p.parse_args()
    warnings.simplefilter("ignore")
    py = ensure_peer_env()
    df = read_table(a.data).data
    discrete = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    train, holdout = train_test_split(df, test_size=0.2, stratify=df[TARGET], random_state=0)
    train, holdout = train.reset_index(drop=True), holdout.reset_index(drop=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        train_csv = work / "train.csv"
        train.to_csv(train_csv, index=False)
        print(f"CTGAN: {a.epochs} epochs", flush=True)
        ct = run_ctgan(py, train_csv, discrete, a.epochs, a.samples, work)
        print(f"TabularGAN: {a.epochs} epochs", flush=True)
        ours = run_ours(train, discrete, a.epochs, a.samples)
        ct_extra, ours_extra = [], []
        for r in range(a.rounds):
            print(f"timing round {r + 1}/{a.rounds}", flush=True)
            ct_extra += run_ctgan(py, train_csv, discrete, a.round_epochs, 0, work)["epoch_seconds"]
            ours_extra += run_ours(train, discrete, a.round_epochs, 0)["epoch_seconds"]
    real_u = utility(train, holdout, discrete)
    ct_u, ours_u = utility(ct["synthetic"], holdout, discrete), utility(ours["synthetic"], holdout, discrete)
    s_ct, s_ours = summarise(ct, ct_extra), summarise(ours, ours_extra)
    result = {
        "setup": {"data": Path(a.data).name, "train_rows": len(train), "holdout_rows": len(holdout),
                  "epochs": a.epochs, "batch_size": 500, "split": "stratified on income, 80/20, seed 0",
                  "synthetic_rows": a.samples, "classifier": "HistGradientBoostingClassifier(random_state=0)"},
        "ctgan": {**s_ct, "tstr": ct_u},
        "synthgan": {**s_ours, "tstr": ours_u},
        "real_trtr": real_u,
        "ratios": {
            "epoch_time_synthgan_over_ctgan": s_ours["seconds_per_epoch"] / s_ct["seconds_per_epoch"],
            "transformer_fit_synthgan_over_ctgan": s_ours["transformer_fit_seconds"] / s_ct["transformer_fit_seconds"],
            "sampling_speed_synthgan_over_ctgan": s_ours["sampling_rows_per_second"] / s_ct["sampling_rows_per_second"],
            "tstr_f1_synthgan_minus_ctgan": ours_u["f1_positive"] - ct_u["f1_positive"],
            "tstr_auc_synthgan_minus_ctgan": ours_u["roc_auc"] - ct_u["roc_auc"],
        },
        "targets": {"epoch_time_ratio_max": 1 / 3, "transformer_fit_ratio_max": 1 / 5, "sampling_ratio_min": 3.0},
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
