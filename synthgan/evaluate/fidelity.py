"""Fidelity: how closely the synthetic table follows the real one, column by column and pair by pair.

The definitions follow SDMetrics' QualityReport so that the scores read the same way:

- column shape: 1 - Kolmogorov-Smirnov statistic for numeric and datetime columns, 1 - total
  variation distance for discrete columns (nulls dropped from both);
- pair trend: 1 - |r_real - r_synthetic| / 2 (Pearson, rows where both are present) for two
  numeric columns; 1 - total variation distance between the joint frequency tables otherwise,
  with numeric columns cut into 10 equal-width bins and null kept as a level.

As in SDMetrics 0.32, the pair-trend score averages only the pairs that are related in the real
data (|Pearson r| > 0.5, or Cramér's V > 0.3): pairs of independent columns would score well for
any table whose columns are independent, and would hide lost relationships. When no pair is
related that much, every pair counts.

One difference on purpose: SDMetrics bins each table's numeric column with that table's own
edges; here both tables use the real table's edges, so a shifted synthetic column cannot hide.
Null rates and category/range coverage are scored on their own, because the shapes drop nulls.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from synthgan.evaluate.frames import Tables, View

N_BINS = 10
REAL_CORRELATION_THRESHOLD = 0.5
REAL_ASSOCIATION_THRESHOLD = 0.3


@dataclass
class FidelityResult:
    """Per-column and per-pair scores in [0, 1] (1 = identical) and their means."""

    column_shapes: dict[str, float]
    pair_trends: dict[str, float]        # "a | b" -> score, every pair
    pair_real_strength: dict[str, float]  # "a | b" -> |Pearson r| or Cramér's V in the real table
    pair_metric: dict[str, str]          # "a | b" -> "correlation" or "contingency"
    null_match: dict[str, float]
    coverage: dict[str, float]
    column_shapes_score: float
    pair_trends_score: float
    null_match_score: float
    coverage_score: float

    @property
    def counted_pairs(self) -> list[str]:
        """The pairs the pair-trend score averages (related in the real data)."""
        return counted_pairs(self.pair_real_strength, self.pair_metric)

    @property
    def score(self) -> float:
        """The overall score: mean of column shapes and pair trends (SDMetrics' quality score)."""
        return float(np.mean([self.column_shapes_score, self.pair_trends_score]))

    def to_dict(self) -> dict:
        return {"score": self.score, "column_shapes_score": self.column_shapes_score,
                "pair_trends_score": self.pair_trends_score, "null_match_score": self.null_match_score,
                "coverage_score": self.coverage_score, "column_shapes": self.column_shapes,
                "pair_trends": self.pair_trends, "pair_real_strength": self.pair_real_strength,
                "counted_pairs": self.counted_pairs, "null_match": self.null_match, "coverage": self.coverage}


def _mean(scores: dict[str, float]) -> float:
    vals = [v for v in scores.values() if np.isfinite(v)]
    return float(np.mean(vals)) if vals else float("nan")


def ks_complement(real: np.ndarray, synth: np.ndarray) -> float:
    """1 - the two-sample Kolmogorov-Smirnov statistic; NaNs dropped."""
    a, b = np.sort(real[~np.isnan(real)]), np.sort(synth[~np.isnan(synth)])
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    grid = np.concatenate([a, b])
    d = np.abs(np.searchsorted(a, grid, "right") / len(a) - np.searchsorted(b, grid, "right") / len(b))
    return float(1.0 - d.max())


def tv_complement(real_codes: np.ndarray, synth_codes: np.ndarray, n_codes: int) -> float:
    """1 - total variation distance between two code distributions."""
    p = np.bincount(real_codes, minlength=n_codes).astype(np.float64)
    q = np.bincount(synth_codes, minlength=n_codes).astype(np.float64)
    if p.sum() == 0 or q.sum() == 0:
        return float("nan")
    return float(1.0 - 0.5 * np.abs(p / p.sum() - q / q.sum()).sum())


class PairCodes:
    """Every evaluated column as small integer codes: discrete columns as they are (null a level),
    numeric columns cut into ``N_BINS`` bins on the real table's edges (null one more level)."""

    def __init__(self, tables: Tables, real: View):
        self.tables = tables
        self.edges = []
        for j in range(real.num.shape[1]):
            x = real.num[:, j]
            x = x[~np.isnan(x)]
            self.edges.append(np.histogram_bin_edges(x, bins=N_BINS) if len(x) else np.zeros(N_BINS + 1))
        self.sizes = [N_BINS + 1] * len(self.edges) + [len(tables.levels[c]) for c in tables.discrete]

    def codes(self, view: View) -> np.ndarray:
        """(n, n_columns) int64, numeric columns first."""
        cols = []
        for j, edges in enumerate(self.edges):
            x = view.num[:, j]
            c = np.clip(np.searchsorted(edges[1:-1], x, side="right"), 0, N_BINS - 1)
            cols.append(np.where(np.isnan(x), N_BINS, c))
        return np.column_stack(cols + [view.cat]) if cols else view.cat


def _joint_tv(ca: np.ndarray, cb: np.ndarray, sa: int, sb: int, qa: np.ndarray, qb: np.ndarray) -> float:
    return tv_complement(ca * sb + cb, qa * sb + qb, sa * sb)


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def pair_key(a: str, b: str) -> str:
    return f"{a} | {b}"


def fidelity(tables: Tables) -> FidelityResult:
    """Score the synthetic table against the training table."""
    real, synth = tables.views["train"], tables.views["synthetic"]
    shapes, nulls, coverage = {}, {}, {}
    for j, name in enumerate(tables.numeric):
        r, s = real.num[:, j], synth.num[:, j]
        shapes[name] = ks_complement(r, s)
        nulls[name] = 1.0 - abs(np.isnan(r).mean() - np.isnan(s).mean())
        coverage[name] = _range_coverage(r, s)
    for j, name in enumerate(tables.discrete):
        n = len(tables.levels[name])
        null_code = n - 1
        r, s = real.cat[:, j], synth.cat[:, j]
        shapes[name] = tv_complement(r[r != null_code], s[s != null_code], n)
        nulls[name] = 1.0 - abs((r == null_code).mean() - (s == null_code).mean())
        seen = np.unique(s[s < tables.n_train_levels[name]])
        coverage[name] = len(seen) / max(tables.n_train_levels[name], 1)
    trends, strength, metric = pair_trends(tables, real, synth)
    counted = counted_pairs(strength, metric)
    with_nulls = {c: v for c, v in nulls.items() if _has_null(tables, c)}
    return FidelityResult(shapes, trends, strength, metric, nulls, coverage, _mean(shapes),
                          _mean({k: trends[k] for k in counted} if counted else trends),
                          _mean(with_nulls) if with_nulls else 1.0, _mean(coverage))


def counted_pairs(strength: dict[str, float], metric: dict[str, str]) -> list[str]:
    """Pairs whose real relationship passes its threshold."""
    limits = {"correlation": REAL_CORRELATION_THRESHOLD, "contingency": REAL_ASSOCIATION_THRESHOLD}
    return [k for k, v in strength.items() if np.isfinite(v) and v > limits[metric[k]]]


def _has_null(tables: Tables, column: str) -> bool:
    return bool(tables.frames["train"][column].isna().any() or tables.frames["synthetic"][column].isna().any())


def _range_coverage(real: np.ndarray, synth: np.ndarray) -> float:
    r, s = real[~np.isnan(real)], synth[~np.isnan(synth)]
    if len(r) == 0 or len(s) == 0:
        return float("nan")
    lo, hi = r.min(), r.max()
    if hi == lo:
        return 1.0 if np.any(s == lo) else 0.0
    missed = max(s.min() - lo, 0.0) + max(hi - s.max(), 0.0)
    return float(max(0.0, 1.0 - missed / (hi - lo)))


def pair_trends(tables: Tables, real: View, synth: View) -> tuple[dict, dict, dict]:
    """Score, real relationship strength and metric of every column pair, keyed by :func:`pair_key`."""
    binner = PairCodes(tables, real)
    rc, sc = binner.codes(real), binner.codes(synth)
    names, n_num = tables.columns, len(tables.numeric)
    scores, strength, metric = {}, {}, {}
    for i, j in itertools.combinations(range(len(names)), 2):
        key = pair_key(names[i], names[j])
        if i < n_num and j < n_num:
            r_real, r_syn = _pearson(real.num[:, i], real.num[:, j]), _pearson(synth.num[:, i], synth.num[:, j])
            scores[key], strength[key], metric[key] = 1.0 - abs(r_real - r_syn) / 2.0, abs(r_real), "correlation"
        else:
            si, sj = binner.sizes[i], binner.sizes[j]
            scores[key] = _joint_tv(rc[:, i], rc[:, j], si, sj, sc[:, i], sc[:, j])
            strength[key], metric[key] = cramers_v(rc[:, i], rc[:, j], si, sj), "contingency"
    return scores, strength, metric


def association_matrix(tables: Tables, view: View, binner: PairCodes) -> np.ndarray:
    """Pearson r between numeric columns, Cramér's V (on the binned codes) for every other pair."""
    names, n_num = tables.columns, len(tables.numeric)
    codes = binner.codes(view)
    m = np.eye(len(names))
    for i, j in itertools.combinations(range(len(names)), 2):
        if i < n_num and j < n_num:
            v = _pearson(view.num[:, i], view.num[:, j])
        else:
            v = cramers_v(codes[:, i], codes[:, j], binner.sizes[i], binner.sizes[j])
        m[i, j] = m[j, i] = v
    return m


def cramers_v(a: np.ndarray, b: np.ndarray, sa: int, sb: int) -> float:
    table = np.bincount(a * sb + b, minlength=sa * sb).reshape(sa, sb).astype(np.float64)
    table = table[table.sum(1) > 0][:, table.sum(0) > 0]
    if min(table.shape) < 2:
        return float("nan")
    n = table.sum()
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / n
    chi2 = ((table - expected) ** 2 / expected).sum()
    return float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))
