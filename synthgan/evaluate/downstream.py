"""The downstream models' shared steps: fit and predict (with class probabilities over a fixed
class list), and the classification metrics every utility figure reads."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score


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
