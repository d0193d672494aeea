"""Column values to and from float64 (datetimes as seconds since the epoch), their real dtypes
restored on output, and fresh identifiers: what the transforms and the constraints share."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthgan.errors import SchemaError
from synthgan.schema import ColumnKind


def time_step(seconds: np.ndarray) -> float:
    """The coarsest of day/hour/minute/second/ms/us that every value is a multiple of."""
    for step in (86400.0, 3600.0, 60.0, 1.0, 1e-3, 1e-6):
        if np.all(np.abs(seconds / step - np.round(seconds / step)) < 1e-6):
            return step
    return 0.0


def as_float(s: pd.Series, kind: ColumnKind) -> np.ndarray:
    """Numbers as float64 with NaN for nulls; datetimes as seconds since the epoch."""
    if kind is ColumnKind.DATETIME:
        dt = pd.to_datetime(s)
        if getattr(dt.dt, "tz", None) is not None:
            dt = dt.dt.tz_convert("UTC").dt.tz_localize(None)
        ns = dt.astype("datetime64[ns]").to_numpy().astype("int64").astype(np.float64)
        ns[dt.isna().to_numpy()] = np.nan
        return ns / 1e9
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def from_float(v: np.ndarray, kind: ColumnKind, dtype: str) -> pd.Series:
    if kind is ColumnKind.DATETIME:
        ns = np.where(np.isnan(v), 0, v * 1e9).astype("int64")
        dt = pd.Series(ns.astype("datetime64[ns]"))
        dt[np.isnan(v)] = pd.NaT
        return restore_dtype(dt, dtype)
    s = pd.Series(v)
    if np.isnan(v).any() and np.dtype(dtype).kind in "iu" if is_numpy_dtype(dtype) else False:
        return s  # a numpy int column cannot hold nulls; keep float64
    return restore_dtype(s, dtype)


def is_numpy_dtype(dtype: str) -> bool:
    try:
        np.dtype(dtype)
        return True
    except TypeError:
        return False


def restore_dtype(s: pd.Series, dtype: str) -> pd.Series:
    try:
        if dtype.startswith("datetime64") and "," in dtype:  # tz-aware: datetime64[ns, UTC]
            tz = dtype.split(",", 1)[1].rstrip("]").strip()
            return pd.to_datetime(s).dt.tz_localize("UTC").dt.tz_convert(tz)
        if dtype == "bool" and s.isna().any():
            return s.astype("boolean")
        return s.astype(dtype)
    except (TypeError, ValueError) as e:
        raise SchemaError(f"cannot restore dtype {dtype!r} on output: {e}") from None


def fresh_ids(dtype: str, n: int, start: int) -> pd.Series:
    ids = np.arange(start, start + n, dtype=np.int64)
    if is_numpy_dtype(dtype) and np.dtype(dtype).kind in "iu":
        return pd.Series(ids).astype(dtype)
    width = max(8, len(str(start + n)))
    return pd.Series([f"syn-{i:0{width}d}" for i in ids]).astype(dtype)
