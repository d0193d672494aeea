"""Utility: is the synthetic table as useful as the real one for learning the target?

TSTR (train on synthetic, test on the real holdout) against TRTR (train on real, test on the
holdout), for a gradient-boosting and a linear model; and the augmentation lift of adding synthetic
minority-class rows to a small real subset, next to SMOTE.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import mean_absolute_error, r2_score

from synthgan.evaluate.features import FAMILIES, Features
from synthgan.evaluate.downstream import classification_metrics, fit_predict
from synthgan.evaluate.frames import Tables, View
from synthgan.evaluate.lift import augmentation_lift
from synthgan.evaluate.results import ModelScores, UtilityResult

MAX_FIT_ROWS = 50_000
# The gated figure of each task. For a numeric target it is an error ratio, MAE trained on real over
# MAE trained on synthetic (1 = as useful, lower = worse), never a quotient of R2 (R2 <= 0 on real
# rows would turn a useless synthetic table into a large "ratio").
PRIMARY = {"classification": "f1_macro", "regression": "mae"}
ERRORS = ("mae", "rmse")                          # lower is better: the ratio is TRTR / TSTR


def _target_arrays(tables: Tables, view: View) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose target is present, and their target values (class codes or numbers)."""
    t = tables.target
    if t in tables.discrete:
        j = tables.discrete.index(t)
        y = view.cat[:, j]
        keep = y != len(tables.levels[t]) - 1
    else:
        y = view.num[:, tables.numeric.index(t)]
        keep = ~np.isnan(y)
    return np.flatnonzero(keep), y[keep]


def utility(tables: Tables, rng: np.random.Generator, augment: View | None = None,
            subset_fraction: float = 0.1) -> UtilityResult:
    """TSTR vs TRTR for each model family, and (for classification) the augmentation lift."""
    t = tables.target
    task = "classification" if t in tables.discrete else "regression"
    feats = Features(tables, exclude=t)
    data = {}
    for role in ("train", "holdout", "synthetic"):
        rows, y = _target_arrays(tables, tables.views[role])
        data[role] = (feats.matrix(tables.views[role].take(rows)), y)
    x_test, y_test = data["holdout"]
    classes = np.unique(data["train"][1]) if task == "classification" else None
    models = []
    for family in FAMILIES:
        seed = int(rng.integers(2**31 - 1))
        trtr = _score(feats, family, task, *_cap(*data["train"], rng), x_test, y_test, classes, seed, tables)
        tstr = _score(feats, family, task, *_cap(*data["synthetic"], rng), x_test, y_test, classes, seed, tables)
        ratio = {k: _ratio(k, tstr[k], trtr[k]) for k in trtr if not isinstance(trtr[k], dict)}
        models.append(ModelScores(family, trtr, tstr, ratio))
    lift = None
    if task == "classification":
        aug_view = augment if augment is not None else tables.views["synthetic"]
        aug_rows, aug_y = _target_arrays(tables, aug_view)
        aug_x = feats.matrix(aug_view.take(aug_rows))
        lift = augmentation_lift(feats, data["train"], (aug_x, aug_y), (x_test, y_test), classes,
                                 tables, rng, subset_fraction)
    return UtilityResult(t, task, PRIMARY[task], models, lift)


def _cap(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if len(x) <= MAX_FIT_ROWS:
        return x, y
    idx = rng.choice(len(x), MAX_FIT_ROWS, replace=False)
    return x[idx], y[idx]


def _ratio(metric: str, tstr: float, trtr: float) -> float:
    """TSTR relative to TRTR, 1 meaning as good and lower worse: TSTR/TRTR for scores, TRTR/TSTR for
    errors. NaN when it means nothing: non-finite inputs, or a score (R2) that is not positive on
    real training rows."""
    if not (np.isfinite(tstr) and np.isfinite(trtr)):
        return float("nan")
    if metric in ERRORS:
        return float(trtr / tstr) if tstr > 0 else (1.0 if trtr == 0 else float("nan"))
    if trtr <= 0:
        return float("nan")
    return float(tstr / trtr)


def _score(feats: Features, family: str, task: str, x, y, x_test, y_test, classes, seed: int,
           tables: Tables) -> dict:
    model = feats.model(family, task, seed)
    pred, proba = fit_predict(model, x, y, x_test, classes)
    if task == "regression":
        return {"r2": float(r2_score(y_test, pred)), "mae": float(mean_absolute_error(y_test, pred)),
                "rmse": float(np.sqrt(np.mean((np.asarray(y_test, float) - pred) ** 2)))}
    return classification_metrics(y_test, pred, proba, classes, tables.levels[tables.target])
