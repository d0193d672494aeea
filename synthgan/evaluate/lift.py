"""Augmentation lift: does adding synthetic minority rows to a small real subset help a classifier,
and by how much next to SMOTE, the baseline a data scientist would otherwise reach for?

Three arms, one gradient-boosting model each, all scored on the real holdout:

- ``real_subset``: a stratified ``fraction`` of the training rows;
- ``real_subset+synthetic``: plus synthetic rows of every non-majority class, up to the majority
  count (SMOTE's default 'not majority' balance), drawn without replacement;
- ``real_subset+smote``: the same subset balanced by SMOTE-NC (SMOTE when there are no discrete
  features, SMOTE-N when there are no numeric ones). SMOTE cannot take nulls, so this arm sees
  numeric nulls filled with the subset's medians.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.metrics import balanced_accuracy_score

from synthgan.evaluate.features import Features
from synthgan.evaluate.frames import Tables
from synthgan.evaluate.downstream import classification_metrics, fit_predict
from synthgan.evaluate.results import LiftResult

ARMS = ("real_subset", "real_subset+synthetic", "real_subset+smote")
LIFT_METRICS = ("balanced_accuracy", "f1_macro", "f1_minority", "roc_auc")


def augmentation_lift(feats: Features, train, augment, test, classes: np.ndarray, tables: Tables,
                      rng: np.random.Generator, fraction: float = 0.1) -> LiftResult:
    """Score the three arms; ``train``, ``augment`` and ``test`` are (x, y) pairs of class codes."""
    x_tr, y_tr = train
    x_aug, y_aug = augment
    labels = tables.levels[tables.target]
    sub = _stratified_subset(y_tr, fraction, rng)
    xs, ys = x_tr[sub], y_tr[sub]
    counts = {c: int((ys == c).sum()) for c in classes}
    majority = max(counts, key=counts.get)
    minority = min(counts, key=counts.get)
    notes: list[str] = []
    add_x, add_y, added = [xs], [ys], {}
    for c in classes:
        need = counts[majority] - counts[c]
        pool = np.flatnonzero(y_aug == c)
        take = rng.choice(pool, min(need, len(pool)), replace=False) if need > 0 else pool[:0]
        if len(take) < need:
            notes.append(f"only {len(pool)} synthetic rows of class {labels[c]!r} to add, {need} wanted")
        add_x.append(x_aug[take])
        add_y.append(y_aug[take])
        added[str(labels[c])] = int(len(take))
    arms = {"real_subset": (xs, ys), "real_subset+synthetic": (np.vstack(add_x), np.concatenate(add_y))}
    smote_xy, smote_note = _smote(feats, xs, ys, int(rng.integers(2**31 - 1)))
    if smote_note:
        notes.append(smote_note)
    if smote_xy is not None:
        arms["real_subset+smote"] = smote_xy
    seed = int(rng.integers(2**31 - 1))
    x_test, y_test = test
    scores = {}
    for arm, (x, y) in arms.items():
        pred, proba = fit_predict(feats.model("gradient_boosting", "classification", seed), x, y, x_test, classes)
        m = classification_metrics(y_test, pred, proba, classes, labels)
        scores[arm] = {"balanced_accuracy": float(balanced_accuracy_score(y_test, pred)),
                       "f1_macro": m["f1_macro"], "f1_minority": m["f1_per_class"][str(labels[minority])],
                       "roc_auc": m["roc_auc"], "rows": int(len(y))}
    smote_added = {str(labels[c]): int((arms["real_subset+smote"][1] == c).sum() - counts[c])
                   for c in classes} if "real_subset+smote" in arms else {}
    return LiftResult(int(len(ys)), added, smote_added, scores,
                      _delta(scores, "real_subset+synthetic"), _delta(scores, "real_subset+smote"), notes)


def _delta(scores: dict, arm: str) -> dict[str, float]:
    if arm not in scores:
        return {}
    return {k: scores[arm][k] - scores["real_subset"][k] for k in LIFT_METRICS}


def _stratified_subset(y: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """``fraction`` of the rows of each class, at least 6 per class (SMOTE needs neighbours)."""
    parts = []
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        k = min(len(rows), max(6, int(round(fraction * len(rows)))))
        parts.append(rng.choice(rows, k, replace=False))
    return np.sort(np.concatenate(parts))


def _smote(feats: Features, x: np.ndarray, y: np.ndarray, seed: int):
    """The subset balanced by the SMOTE variant that fits its feature types, or a note why not."""
    from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC

    smallest = np.bincount(y).astype(float)
    smallest = int(smallest[smallest > 0].min())
    if smallest < 2:
        return None, "SMOTE skipped: a class has a single row in the real subset"
    k = min(5, smallest - 1)
    mask = feats.categorical_mask
    x = x.copy()
    num = np.flatnonzero(~mask)
    if len(num):
        med = _nan_medians(x[:, num])
        nan_r, nan_c = np.nonzero(np.isnan(x[:, num]))
        x[nan_r, num[nan_c]] = med[nan_c]
    if mask.all():
        sampler = SMOTEN(k_neighbors=k, random_state=seed)
    elif mask.any():
        sampler = SMOTENC(categorical_features=np.flatnonzero(mask).tolist(), k_neighbors=k, random_state=seed)
    else:
        sampler = SMOTE(k_neighbors=k, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        xr, yr = sampler.fit_resample(x, y)
    return (np.asarray(xr, dtype=np.float64), np.asarray(yr)), None


def _nan_medians(x: np.ndarray) -> np.ndarray:
    out = np.zeros(x.shape[1])
    for j in range(x.shape[1]):
        col = x[:, j][~np.isnan(x[:, j])]
        out[j] = np.median(col) if len(col) else 0.0
    return out
