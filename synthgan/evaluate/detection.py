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
