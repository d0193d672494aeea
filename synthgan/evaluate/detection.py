"""Detection: can a classifier tell real training rows from synthetic ones?"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from synthgan.evaluate.features import Features
from synthgan.evaluate.frames import Tables


def detection_auc(tables: Tables, rng: np.random.Generator, max_rows: int = 10_000, folds: int = 3) -> float:
    """Cross-validated ROC AUC of gradient boosting separating real from synthetic rows.

    Equal numbers of real and synthetic rows (at most ``max_rows`` each) are drawn; 0.5 means the
    tables are indistinguishable to the classifier, 1.0 that every row gives itself away.
    """
    real, synth = tables.views["train"], tables.views["synthetic"]
    n = min(len(real), len(synth), max_rows)
    feats = Features(tables)
    x = np.vstack([feats.matrix(real.take(rng.choice(len(real), n, replace=False))),
                   feats.matrix(synth.take(rng.choice(len(synth), n, replace=False)))])
    y = np.r_[np.zeros(n), np.ones(n)]
    folds = max(2, min(folds, n))
    seed = int(rng.integers(2**31 - 1))
    model = feats.model("gradient_boosting", "classification", seed)
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        proba = cross_val_predict(model, x, y, cv=cv, method="predict_proba")[:, 1]
    return float(roc_auc_score(y, proba))


def detection_by_column(tables: Tables, rng: np.random.Generator, max_rows: int = 10_000,
                        folds: int = 3) -> dict[str, float]:
    """Cross-validated ROC AUC of telling real from synthetic rows by each column alone, highest first.

    One column's classifier is its histogram: the share of synthetic rows among the training folds'
    rows in the same bin (one bin per category; quantile bins of the pooled numbers, with a bin of
    its own for null), add-one smoothed. That is the likelihood-ratio test of the column alone, so
    the ranking names the columns whose own distribution gives synthetic rows away; what
    :func:`detection_auc` finds beyond them lies in the relations between columns. Counting only,
    no model is fitted: milliseconds per column. The same row budget as :func:`detection_auc`, on
    its own draw (``rng``), so that value is unchanged.
    """
    real, synth = tables.views["train"], tables.views["synthetic"]
    n = min(len(real), len(synth), max_rows)
    r = real.take(rng.choice(len(real), n, replace=False))
    s = synth.take(rng.choice(len(synth), n, replace=False))
    y = np.r_[np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64)]
    folds = max(2, min(folds, n))
    fold = np.r_[rng.permutation(n) % folds, rng.permutation(n) % folds]     # stratified: n per class
    bins = int(np.clip(np.sqrt(2 * n), 5, 50))
    out = {}
    for j, name in enumerate(tables.numeric):
        out[name] = _histogram_auc(_quantile_codes(np.r_[r.num[:, j], s.num[:, j]], bins), y, fold, folds)
    for j, name in enumerate(tables.discrete):
        out[name] = _histogram_auc(np.r_[r.cat[:, j], s.cat[:, j]], y, fold, folds)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def _quantile_codes(x: np.ndarray, bins: int) -> np.ndarray:
    """(n,) int64 bin of each value: quantile edges of the finite values (a point mass keeps one
    bin), NaN in the last bin."""
    finite = ~np.isnan(x)
    edges = np.unique(np.quantile(x[finite], np.linspace(0, 1, bins + 1)[1:-1])) if finite.any() else np.zeros(0)
    codes = np.full(len(x), len(edges) + 1, dtype=np.int64)
    codes[finite] = np.searchsorted(edges, x[finite], side="right")
    return codes


def _histogram_auc(codes: np.ndarray, y: np.ndarray, fold: np.ndarray, folds: int) -> float:
    """AUC of the out-of-fold synthetic share of each row's bin."""
    m = int(codes.max()) + 1
    score = np.empty(len(codes))
    for k in range(folds):
        fit, test = fold != k, fold == k
        syn = np.bincount(codes[fit & (y == 1)], minlength=m)
        both = np.bincount(codes[fit], minlength=m)
        score[test] = ((syn + 1.0) / (both + 2.0))[codes[test]]
    return float(roc_auc_score(y, score))
