"""How :class:`TimeSeriesGAN` scales series for its networks: one range per feature over all
series ("global"), or each series its own midpoint and range ("series", DoppelGANger's
auto-normalisation: learned as static attributes and undone after generation)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthgan.ingest.timeseries import SeriesData

UNIT = 0.9      # real values map into [-UNIT, UNIT]: the generator's tanh reaches the real extremes
MID, LOG_HALF = "__mid_{}__", "__loghalf_{}__"    # per-series scale attributes, one pair per feature


def scale_of(series: SeriesData, mode: str) -> tuple[np.ndarray, np.ndarray, str]:
    """(low, high) per feature over all series, and the scaling mode: ``auto`` scales per series when, for
    some feature, the median series spans less than a quarter of the feature's whole range
    (series of different levels or sizes: one global range would squeeze most of them)."""
    valid = np.arange(series.max_len)[None, :] < series.lengths[:, None]
    flat = series.values[valid]                                                 # (valid steps, F)
    low, high = flat.min(0).astype(np.float64), flat.max(0).astype(np.float64)
    high = np.where(high > low, high, low + 1.0)
    if mode == "auto":
        lo, hi = series_range(series.values, series.lengths)
        mode = "series" if (np.median(hi - lo, axis=0) < 0.25 * (high - low)).any() else "global"
    return low, high, mode

def series_range(values: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    valid = (np.arange(values.shape[1])[None, :] < lengths[:, None])[:, :, None]
    return np.where(valid, values, np.inf).min(1), np.where(valid, values, -np.inf).max(1)   # (N, F) each

def scale_columns(series: SeriesData, low: np.ndarray, high: np.ndarray) -> dict[str, np.ndarray]:
    """Each series' midpoint and log half-range per feature, learned with the static attributes."""
    lo, hi = series_range(series.values, series.lengths)
    floor = 1e-6 * (high - low)
    cols = {}
    for i in range(lo.shape[1]):
        cols[MID.format(i)] = (hi[:, i] + lo[:, i]) / 2.0
        cols[LOG_HALF.format(i)] = np.log(np.maximum((hi[:, i] - lo[:, i]) / 2.0, floor[i]))
    return cols

def split_scale(static: pd.DataFrame, n_features: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """(attributes without the scale columns, midpoints (N, F), half-ranges (N, F))."""
    mids = [MID.format(i) for i in range(n_features)]
    halves = [LOG_HALF.format(i) for i in range(n_features)]
    mid = static[mids].to_numpy(np.float64)
    half = np.exp(static[halves].to_numpy(np.float64))
    return static.drop(columns=mids + halves), mid, half

def scaled(values: np.ndarray, lengths: np.ndarray, low: np.ndarray, high: np.ndarray, unit: float,
           mid: np.ndarray | None = None, half: np.ndarray | None = None) -> np.ndarray:
    """Values mapped into [-unit, unit] (by the global range, or each series' own), zero after
    each series' end."""
    if mid is None:
        x = unit * (2.0 * (values - low) / (high - low) - 1.0)
    else:
        x = unit * np.clip((values - mid[:, None, :]) / half[:, None, :], -1.0, 1.0)
    return (x * (np.arange(values.shape[1])[None, :, None] < lengths[:, None, None])).astype(np.float32)
