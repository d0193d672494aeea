"""Input checks and the shared numeric view of the three tables an evaluation compares.

Every metric works on the same :class:`View` of a table: numeric columns as a float matrix
(datetimes as seconds, null as NaN) and discrete columns as integer codes drawn from one vocabulary
shared by the three tables (null is a code of its own). ID columns are left out, as SDMetrics does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import pandas as pd

from synthgan.errors import DataError, SchemaError
from synthgan.schema import ColumnKind, Schema, infer_schema

ROLES = ("train", "holdout", "synthetic")


@dataclass
class View:
    """One table as arrays: ``num`` (n, n_numeric) float64 with NaN for null; ``cat`` (n, n_discrete)
    int64 codes into :attr:`Tables.levels`."""

    num: np.ndarray
    cat: np.ndarray

    def __len__(self) -> int:
        return len(self.num)

    def take(self, idx: np.ndarray) -> "View":
        return View(self.num[idx], self.cat[idx])


@dataclass
class Tables:
    """The three aligned tables, the schema of the evaluated columns and their array views."""

    schema: Schema
    numeric: list[str]
    discrete: list[str]
    levels: dict[str, list]              # code -> value for each discrete column; None = null
    frames: dict[str, pd.DataFrame]      # role -> aligned frame of evaluated columns
    views: dict[str, View] = field(default_factory=dict)
    target: str | None = None
    n_train_levels: dict[str, int] = field(default_factory=dict)   # codes below are training values
    source_schema: Schema | None = None  # the schema of every input column, IDs included

    @property
    def columns(self) -> list[str]:
        return self.numeric + self.discrete


MIN_ROWS = 10            # training and synthetic rows needed to score anything (detection folds, models)
SMALL_HOLDOUT = 100     # below this many holdout rows, DCR and membership inference mean little


def prepare(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    target: str | None = None,
    discrete_columns: Iterable[str] | None = None,
    schema: Schema | None = None,
) -> Tables:
    """Check the three tables against each other and build their shared views.

    Raises
    ------
    DataError
        A table is not a DataFrame or has no rows, the column sets differ, a column cannot be read
        as its kind, or the target has fewer than two values.
    SchemaError
        ``target`` or a ``discrete_columns`` entry is not a column.
    """
    given = {"train": train, "holdout": holdout, "synthetic": synthetic}
    for role, df in given.items():
        if not isinstance(df, pd.DataFrame):
            raise DataError(f"{role} table: expected a pandas DataFrame, got {type(df).__name__}")
        if len(df) == 0:
            raise DataError(f"{role} table has no rows")
        if role != "holdout" and len(df) < MIN_ROWS:
            raise DataError(f"{role} table has {len(df)} row(s); scoring needs at least {MIN_ROWS}")
    _check_columns(given)
    if target is not None and len(train.columns) < 2:
        raise DataError(f"target column {target!r} is the only column; utility needs at least one other column "
                        "to predict it from")
    if target is not None and target not in train.columns:
        raise SchemaError(f"target column {target!r} is not in the tables; columns are {list(train.columns)}")
    schema = schema or infer_schema(train, discrete_columns=discrete_columns)
    missing = [c for c in train.columns if c not in schema.names]
    if missing:
        raise SchemaError(f"schema lacks the columns {missing}")
    kept = [c for c in schema.columns if c.kind is not ColumnKind.ID or c.name == target]
    if target is not None and schema[target].kind is ColumnKind.ID:
        raise SchemaError(f"target column {target!r} looks like an identifier (unique per row); "
                          "pass discrete_columns or a schema if it is a label")
    numeric = [c.name for c in kept if c.kind.is_numeric]
    discrete = [c.name for c in kept if c.kind.is_discrete]
    frames = {role: coerce(df[numeric + discrete], schema, role) for role, df in given.items()}
    tables = Tables(Schema(tuple(schema[c] for c in numeric + discrete)), numeric, discrete, {}, frames,
                    target=target, source_schema=schema)
    _encode(tables)
    if target is not None:
        _check_target(tables)
    return tables


def _check_columns(given: dict[str, pd.DataFrame]) -> None:
    ref = list(given["train"].columns)
    for role in ("holdout", "synthetic"):
        cols = list(given[role].columns)
        lacking = [c for c in ref if c not in cols]
        extra = [c for c in cols if c not in ref]
        if lacking or extra:
            parts = ([f"lacks {lacking}"] if lacking else []) + ([f"has extra {extra}"] if extra else [])
            raise DataError(f"{role} table columns do not match the training table: {' and '.join(parts)}")


def coerce(df: pd.DataFrame, schema: Schema, role: str) -> pd.DataFrame:
    """Each column as its schema kind: numbers as float, datetimes as datetime64, discrete as text."""
    out = {}
    for name in df.columns:
        kind, s = schema[name].kind, df[name]
        if kind is ColumnKind.DATETIME:
            v = pd.to_datetime(s, errors="coerce")
        elif kind.is_numeric:
            v = pd.to_numeric(s, errors="coerce") if not pd.api.types.is_bool_dtype(s.dtype) else s.astype(float)
        else:
            v = _as_text(s)
        bad = v.isna() & s.notna()
        if bad.any():
            example = s[bad].iloc[0]
            raise DataError(f"{role} table, column {name!r}: value {example!r} is not a {kind.value} "
                            f"({int(bad.sum())} such values)")
        out[name] = v.reset_index(drop=True)
    return pd.DataFrame(out)


def _as_text(s: pd.Series) -> pd.Series:
    """Discrete values as text, so that 1, 1.0 and '1' (or True and 'True') are the same level."""
    if pd.api.types.is_float_dtype(s.dtype):
        nn = s.dropna()
        if len(nn) and bool(np.all(nn == np.round(nn))):
            s = s.astype("Int64")
    mask = s.notna()
    text = pd.Series(np.full(len(s), None, dtype=object), index=s.index)
    text[mask] = s[mask].map(str).to_numpy()
    return text


def seconds(s: pd.Series) -> np.ndarray:
    """A numeric or datetime column as float64 (datetimes as seconds since 1970), NaN for null."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s.astype("datetime64[ns]").to_numpy().astype("int64").astype(np.float64) / 1e9
        out[s.isna().to_numpy()] = np.nan
        return out
    return s.to_numpy(dtype=np.float64, na_value=np.nan)


def _encode(tables: Tables) -> None:
    frames = tables.frames
    n_train = tables.n_train_levels
    for name in tables.discrete:
        train_counts = frames["train"][name].value_counts(dropna=True)
        values = list(train_counts.index)
        n_train[name] = len(values)
        seen = set(values)
        for role in ("holdout", "synthetic"):
            for v in frames[role][name].dropna().unique():
                if v not in seen:
                    values.append(v)
                    seen.add(v)
        tables.levels[name] = values + [None]
    for role, df in frames.items():
        num = np.column_stack([seconds(df[c]) for c in tables.numeric]) if tables.numeric \
            else np.zeros((len(df), 0))
        cat = np.zeros((len(df), len(tables.discrete)), dtype=np.int64)
        for j, name in enumerate(tables.discrete):
            lv = tables.levels[name]
            codes = pd.Categorical(df[name], categories=lv[:-1]).codes.astype(np.int64)
            codes[codes < 0] = len(lv) - 1          # null: the last code
            cat[:, j] = codes
        tables.views[role] = View(num, cat)


def _check_target(tables: Tables) -> None:
    t = tables.target
    col = tables.frames["train"][t]
    if col.nunique(dropna=True) < 2:
        raise DataError(f"target column {t!r} has fewer than two distinct values in the training table")
    for role in ("train", "holdout", "synthetic"):
        if tables.frames[role][t].isna().all():
            raise DataError(f"target column {t!r} is entirely null in the {role} table")
