"""Privacy: does the synthetic table give away the training rows?

- Distance to closest record (DCR): from synthetic rows to the training rows, next to the same from
  real holdout rows (rows the model never saw) to the training rows. A synthetic table that sits
  much closer to the training rows than fresh real data does has memorised them.
- Exact copies: the share of synthetic rows equal in every evaluated column to a training row
  (and, as the baseline, the share of holdout rows that are).
- Membership inference: an attacker who holds the synthetic table scores a candidate row by its
  distance to the closest synthetic row; the ROC AUC of that score at telling training rows from
  holdout rows (0.5: the synthetic table tells nothing about who was in the training data).

Rows are compared in one space: numeric columns centred on the training median and divided by the
training 1st-99th percentile range, with a null indicator; discrete columns one-hot scaled by
1/sqrt(2), so that two different categories are at distance 1, like two numbers a range apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors

from synthgan.evaluate.frames import Tables, View

_NAN_SENTINEL = -1.2345678e300


@dataclass
class PrivacyResult:
    dcr_synthetic_median: float
    dcr_synthetic_p5: float
    dcr_holdout_median: float
    dcr_holdout_p5: float
    dcr_median_ratio: float          # synthetic / holdout; below 1: closer to training than new data
    dcr_p5_ratio: float
    exact_copy_rate: float
    holdout_exact_copy_rate: float
    mia_auc: float
    rows_compared: int
    dcr_synthetic: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    dcr_holdout: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    # (copies, rows) over every row a pipeline published, when it counted them (see synthgan.steps.shards);
    # the exact-copy gate then judges this rather than the sample's rate.
    exact_copies_all_rows: tuple[int, int] | None = None
    # what the model's DP training spent (its privacy_spent_: epsilon, delta, accountant, noise
    # multiplier, clipping norm, steps), when the caller knows the model; None: no DP or unknown
    dp: dict | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if not isinstance(v, np.ndarray)}


class RowSpace:
    """The embedding described in the module docstring, fitted on the training view."""

    def __init__(self, tables: Tables, train: View):
        x = train.num
        with np.errstate(all="ignore"):
            self.center = np.nan_to_num(np.nanmedian(x, axis=0)) if x.size else np.zeros(x.shape[1])
            lo, hi = (np.nanpercentile(x, [1, 99], axis=0) if x.size else (np.zeros(0), np.zeros(0)))
            scale = np.nan_to_num(hi - lo)
            std = np.nan_to_num(np.nanstd(x, axis=0)) if x.size else np.zeros(0)
        self.scale = np.where(scale > 0, scale, np.where(std > 0, std, 1.0))
        self.sizes = [len(tables.levels[c]) for c in tables.discrete]

    def embed(self, view: View) -> np.ndarray:
        """(n, d) float64."""
        num = (view.num - self.center) / self.scale
        null = np.isnan(num)
        parts = [np.where(null, 0.0, num), null.astype(np.float64)]
        for j, size in enumerate(self.sizes):
            onehot = np.zeros((len(view), size))
            onehot[np.arange(len(view)), view.cat[:, j]] = 1.0 / np.sqrt(2.0)
            parts.append(onehot)
        return np.hstack(parts)


def nearest_distance(reference: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Euclidean distance from each query row to its closest reference row."""
    nn = NearestNeighbors(n_neighbors=1, algorithm="brute").fit(reference)
    return nn.kneighbors(query, return_distance=True)[0][:, 0]


def row_hashes(view: View) -> np.ndarray:
    """One 64-bit hash per row over every evaluated column (nulls equal to nulls)."""
    frame = pd.DataFrame(np.hstack([np.where(np.isnan(view.num), _NAN_SENTINEL, view.num),
                                    view.cat.astype(np.float64)]))
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _ratio(a: float, b: float) -> float:
    if b > 0:
        return float(a / b)
    return 1.0 if a == 0 else float("inf")


def privacy(tables: Tables, rng: np.random.Generator, max_rows: int = 5000,
            max_reference: int = 50_000) -> PrivacyResult:
    """DCR, exact-copy rates and the membership-inference AUC."""
    train, hold, synth = (tables.views[r] for r in ("train", "holdout", "synthetic"))
    train_hash = row_hashes(train)
    copy_rate = float(np.isin(row_hashes(synth), train_hash).mean())
    hold_copy = float(np.isin(row_hashes(hold), train_hash).mean())

    space = RowSpace(tables, train)
    ref_idx = _sample(len(train), max_reference, rng)
    ref = space.embed(train.take(ref_idx))
    n = min(len(synth), len(hold), max_rows)
    d_syn = nearest_distance(ref, space.embed(synth.take(_sample(len(synth), n, rng))))
    d_hold = nearest_distance(ref, space.embed(hold.take(_sample(len(hold), n, rng))))

    # Membership inference: members are training rows, non-members holdout rows, equal numbers.
    m = min(len(hold), len(train), max_rows)
    members = space.embed(train.take(_sample(len(train), m, rng)))
    outsiders = space.embed(hold.take(_sample(len(hold), m, rng)))
    syn_ref = space.embed(synth.take(_sample(len(synth), max_reference, rng)))
    d_in, d_out = nearest_distance(syn_ref, members), nearest_distance(syn_ref, outsiders)
    mia = float(roc_auc_score(np.r_[np.ones(m), np.zeros(m)], -np.r_[d_in, d_out]))

    med_s, med_h = float(np.median(d_syn)), float(np.median(d_hold))
    p5_s, p5_h = float(np.percentile(d_syn, 5)), float(np.percentile(d_hold, 5))
    return PrivacyResult(med_s, p5_s, med_h, p5_h, _ratio(med_s, med_h), _ratio(p5_s, p5_h),
                         copy_rate, hold_copy, mia, int(n), d_syn, d_hold)


def _sample(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    return np.arange(n) if n <= k else np.sort(rng.choice(n, k, replace=False))
