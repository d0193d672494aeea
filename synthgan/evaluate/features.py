"""Feature matrices and the two model families used by detection and utility.

Gradient boosting (HistGradientBoosting) takes numeric columns as they are (NaN allowed) and
discrete columns as native categories; the linear model sees imputed, standardised numbers with
missing-value indicators and one-hot categories.
"""

from __future__ import annotations

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from synthgan.evaluate.frames import Tables, View

MAX_CATEGORY_CODE = 254          # HistGradientBoosting allows at most 255 categories per feature
FAMILIES = ("gradient_boosting", "linear")


class Features:
    """Which view columns are features (the target excluded) and how to lay them out."""

    def __init__(self, tables: Tables, exclude: str | None = None):
        self.num_idx = [j for j, c in enumerate(tables.numeric) if c != exclude]
        self.cat_idx = [j for j, c in enumerate(tables.discrete) if c != exclude]

    @property
    def categorical_mask(self) -> np.ndarray:
        return np.array([False] * len(self.num_idx) + [True] * len(self.cat_idx), dtype=bool)

    def matrix(self, view: View) -> np.ndarray:
        """(n, n_features) float64: numeric columns, then discrete codes."""
        cats = np.minimum(view.cat[:, self.cat_idx], MAX_CATEGORY_CODE).astype(np.float64)
        return np.hstack([view.num[:, self.num_idx], cats])

    def model(self, family: str, task: str, seed: int):
        """An unfitted estimator of ``family`` ('gradient_boosting' or 'linear') for ``task``."""
        mask = self.categorical_mask
        if family == "gradient_boosting":
            cls = HistGradientBoostingClassifier if task == "classification" else HistGradientBoostingRegressor
            return cls(categorical_features=mask if mask.any() else None, random_state=seed)
        num = np.flatnonzero(~mask)
        cat = np.flatnonzero(mask)
        pre = ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True,
                                                keep_empty_features=True), StandardScaler()), num),
            ("cat", OneHotEncoder(handle_unknown="ignore", min_frequency=5), cat),
        ])
        head = LogisticRegression(max_iter=300) if task == "classification" else Ridge(alpha=1.0)
        return make_pipeline(pre, head)
