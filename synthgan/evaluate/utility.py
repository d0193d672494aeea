"""Utility: is the synthetic table as useful as the real one for learning the target?

TSTR (train on synthetic, test on the real holdout) against TRTR (train on real, test on the
holdout), for a gradient-boosting and a linear model; and the augmentation lift of adding synthetic
minority-class rows to a small real subset, next to SMOTE.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, r2_score, roc_auc_score

from synthgan.evaluate.features import FAMILIES, Features
from synthgan.evaluate.frames import Tables, View

MAX_FIT_ROWS = 50_000
# The gated figure of each task. For a numeric target it is an error ratio, MAE trained on real over
# MAE trained on synthetic (1 = as useful, lower = worse), never a quotient of R2 (R2 <= 0 on real
# rows would turn a useless synthetic table into a large "ratio").
PRIMARY = {"classification": "f1_macro", "regression": "mae"}
ERRORS = ("mae", "rmse")                          # lower is better: the ratio is TRTR / TSTR


@dataclass
class ModelScores:
    """One model family: holdout metrics when trained on real and on synthetic rows, and TSTR/TRTR."""

    family: str
    trtr: dict
    tstr: dict
    ratio: dict[str, float]


@dataclass
class LiftResult:
    """A small real subset alone, plus synthetic minority rows, plus SMOTE rows; scored on the holdout."""

    subset_rows: int
    added_synthetic: dict[str, int]
    added_smote: dict[str, int]
    scores: dict[str, dict[str, float]]          # arm -> metric -> value
    lift_synthetic: dict[str, float]             # metric -> (subset + synthetic) - subset
    lift_smote: dict[str, float]
    notes: list[str] = field(default_factory=list)


@dataclass
class UtilityResult:
    target: str
    task: str                                     # "classification" or "regression"
    primary_metric: str
    models: list[ModelScores]
    lift: LiftResult | None

    @property
    def ratio(self) -> float:
        """Mean TSTR/TRTR of the primary metric over the model families (the gated figure)."""
        vals = [m.ratio[self.primary_metric] for m in self.models]
        return float(np.mean(vals))

    def to_dict(self) -> dict:
        return {"target": self.target, "task": self.task, "primary_metric": self.primary_metric,
                "ratio": self.ratio, "models": [asdict(m) for m in self.models],
                "lift": asdict(self.lift) if self.lift else None}


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
        from synthgan.evaluate.lift import augmentation_lift
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


def fit_predict(model, x: np.ndarray, y: np.ndarray, x_test: np.ndarray, classes: np.ndarray | None):
    """Predictions, and for classification a (n_test, n_classes) probability matrix over ``classes``.

    A training target with a single class (a collapsed synthetic table) predicts that class.
    """
    if classes is None:
        model.fit(x, y)
        return model.predict(x_test), None
    present = np.unique(y)
    proba = np.zeros((len(x_test), len(classes)))
    if len(present) < 2:
        proba[:, np.searchsorted(classes, present[0])] = 1.0
        return np.full(len(x_test), present[0]), proba
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # convergence notes of the linear model
        model.fit(x, y)
        p = model.predict_proba(x_test)
    cols = np.searchsorted(classes, model.classes_)
    ok = (cols < len(classes)) & (classes[np.minimum(cols, len(classes) - 1)] == model.classes_)
    proba[:, cols[ok]] = p[:, ok]
    return model.classes_[p.argmax(1)], proba


def classification_metrics(y: np.ndarray, pred: np.ndarray, proba: np.ndarray, classes: np.ndarray,
                           labels: list) -> dict:
    """Accuracy, macro F1, F1 per class (by label) and ROC AUC (one-vs-rest macro; the binary AUC
    for two classes)."""
    f1 = f1_score(y, pred, labels=classes, average=None, zero_division=0)
    aucs = []
    for k, c in enumerate(classes):
        pos = y == c
        if 0 < pos.sum() < len(y):
            aucs.append(roc_auc_score(pos, proba[:, k]))
    if len(classes) == 2 and aucs:
        aucs = aucs[:1]
    return {"accuracy": float(accuracy_score(y, pred)), "f1_macro": float(np.mean(f1)),
            "roc_auc": float(np.mean(aucs)) if aucs else float("nan"),
            "f1_per_class": {str(labels[c]): float(v) for c, v in zip(classes, f1)}}


def _score(feats: Features, family: str, task: str, x, y, x_test, y_test, classes, seed: int,
           tables: Tables) -> dict:
    model = feats.model(family, task, seed)
    pred, proba = fit_predict(model, x, y, x_test, classes)
    if task == "regression":
        return {"r2": float(r2_score(y_test, pred)), "mae": float(mean_absolute_error(y_test, pred)),
                "rmse": float(np.sqrt(np.mean((np.asarray(y_test, float) - pred) ** 2)))}
    return classification_metrics(y_test, pred, proba, classes, tables.levels[tables.target])
