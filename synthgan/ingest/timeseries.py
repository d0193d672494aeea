"""Long-format time series: one row per (entity, time step), numeric features that change over time
and static attributes that do not. Also numpy arrays shaped (series, steps, features).

The result is a :class:`SeriesData`: a padded float array of the features, the length of every
series, and a one-row-per-entity table of the static attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from synthgan.errors import DataError

MIN_STEPS = 2


@dataclass
class SeriesData:
    """``values`` (n_series, max_len, n_features) float32, NaN-free, zero after each series' end."""

    values: np.ndarray
    lengths: np.ndarray
    static: pd.DataFrame                 # one row per series, static attribute columns only
    entities: np.ndarray                 # the real entity ids, in the order of ``values``
    features: list[str]
    entity: str
    time: str
    time_kind: str                       # "step" (integers) or "datetime"
    time_start: float = 0.0              # datetime: median start (seconds); step: median first step
    time_step: float = 1.0               # median interval between steps

    @property
    def max_len(self) -> int:
        return self.values.shape[1]


def read_series(df: pd.DataFrame, entity: str, time: str, features: Sequence[str] | None = None,
                static: Sequence[str] | None = None, source: str = "data") -> SeriesData:
    """Long-format frame -> :class:`SeriesData`.

    Raises
    ------
    DataError
        Missing entity/time/feature/static column, duplicate (entity, time) rows, a non-numeric
        feature, a null feature value, an attribute that changes within a series, or a series
        shorter than 2 steps.
    """
    for role, col in (("entity", entity), ("time", time)):
        if col not in df.columns:
            raise DataError(f"{source}: {role} column {col!r} is not in the data; columns are {list(df.columns)}")
    static = list(static or [])
    features = list(features) if features is not None else \
        [c for c in df.columns if c not in (entity, time, *static)]
    for col in features + static:
        if col not in df.columns:
            raise DataError(f"{source}: column {col!r} is not in the data; columns are {list(df.columns)}")
    if not features:
        raise DataError(f"{source}: no feature columns (every column is the entity, the time or static)")
    for col in features:
        if not pd.api.types.is_numeric_dtype(df[col].dtype) or pd.api.types.is_bool_dtype(df[col].dtype):
            raise DataError(f"{source}: feature {col!r} is not numeric (dtype {df[col].dtype}); "
                            "declare it static if it does not change over time, or encode it as numbers")
        if df[col].isna().any():
            raise DataError(f"{source}: feature {col!r} has {int(df[col].isna().sum())} null values; "
                            "fill or drop them first")
    dup = df.duplicated([entity, time])
    if dup.any():
        first = [v.item() if isinstance(v, np.generic) else v for v in df.loc[dup, [entity, time]].iloc[0]]
        raise DataError(f"{source}: {int(dup.sum())} duplicate ({entity}, {time}) rows, e.g. {first}")
    df = df.sort_values([entity, time], kind="stable")
    groups = df.groupby(entity, sort=False)
    lengths = groups.size()
    short = lengths[lengths < MIN_STEPS]
    if len(short):
        first = short.index[0]
        first = first.item() if isinstance(first, np.generic) else first
        raise DataError(f"{source}: {len(short)} series shorter than {MIN_STEPS} steps, e.g. entity "
                        f"{first!r} with {int(short.iloc[0])}")
    if static:
        varying = [c for c in static if (groups[c].nunique(dropna=False) > 1).any()]
        if varying:
            raise DataError(f"{source}: static column(s) {varying} change within a series")
    entities = lengths.index.to_numpy()
    n, t_max = len(entities), int(lengths.max())
    pos = groups.cumcount().to_numpy()
    row = np.repeat(np.arange(n), lengths.to_numpy())
    values = np.zeros((n, t_max, len(features)), dtype=np.float32)
    values[row, pos] = df[features].to_numpy(dtype=np.float32)
    static_df = groups[static].first().reset_index(drop=True) if static else pd.DataFrame(index=range(n))
    kind, start, step = _time_axis(df, entity, time, groups)
    return SeriesData(values, lengths.to_numpy().astype(np.int64), static_df, entities, features, entity, time,
                      kind, start, step)


def _time_axis(df: pd.DataFrame, entity: str, time: str, groups) -> tuple[str, float, float]:
    t = df[time]
    if pd.api.types.is_datetime64_any_dtype(t.dtype):
        secs = t.astype("datetime64[ns]").astype("int64") / 1e9
        kind = "datetime"
    elif pd.api.types.is_numeric_dtype(t.dtype):
        secs = t.astype(float)
        kind = "step"
    else:
        raise DataError(f"time column {time!r}: expected numbers or datetimes, got dtype {t.dtype}")
    starts = secs.groupby(df[entity]).min()
    deltas = secs.groupby(df[entity]).diff().dropna()
    step = float(deltas.median()) if len(deltas) else 1.0
    return kind, float(starts.median()), step if step > 0 else 1.0


def series_from_arrays(x: np.ndarray, labels: np.ndarray | None = None, lengths: np.ndarray | None = None,
                       feature_names: Sequence[str] | None = None, label_name: str = "label") -> pd.DataFrame:
    """(series, steps, features) array (and optional labels / lengths) -> long-format frame with
    columns ``series``, ``step``, the features and the label."""
    x = np.asarray(x)
    if x.ndim != 3:
        raise DataError(f"expected an array shaped (series, steps, features), got shape {x.shape}")
    n, t, f = x.shape
    lengths = np.full(n, t) if lengths is None else np.asarray(lengths)
    if len(lengths) != n or (lengths < MIN_STEPS).any() or (lengths > t).any():
        raise DataError(f"lengths: expected {n} values between {MIN_STEPS} and {t}")
    names = list(feature_names) if feature_names is not None else [f"f{i}" for i in range(f)]
    if len(names) != f:
        raise DataError(f"feature_names: expected {f} names, got {len(names)}")
    mask = np.arange(t)[None, :] < lengths[:, None]
    series, step = np.nonzero(mask)
    out = pd.DataFrame({"series": series.astype(np.int64), "step": step.astype(np.int64)})
    for i, name in enumerate(names):
        out[name] = x[series, step, i]
    if labels is not None:
        labels = np.asarray(labels)
        if len(labels) != n:
            raise DataError(f"labels: expected {n} values, got {len(labels)}")
        out[label_name] = labels[series]
    return out
