"""Business rules every generated row keeps by construction, not by filtering.

- ``{"type": "inequality", "low": "start", "high": "end"}`` (``"strict": true`` for <): the model
  learns ``high`` as the gap ``high - low`` and rebuilds it as ``low + max(gap, 0)`` after sampling,
  so no row can break it (for datetimes the gap is learned as a datetime after the epoch, so it
  keeps the real gaps' unit: whole days stay whole days);
- ``{"type": "range", "column": "price", "low": 0, "high": None}``: decoded values are kept inside
  (``{"type": "non_negative", "column": c}`` is the range ``[0, None)``);
- ``{"type": "combinations", "columns": ["city", "country"]}``: only (city, country) pairs seen in
  the real data: the model learns the columns as one categorical column of their real
  combinations, split back after sampling.

A constraint the real data breaks is a :class:`~synthgan.errors.ConstraintError` at fit, naming
the columns, how many rows break it and the first of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from synthgan.errors import ConstraintError
from synthgan.schema import ColumnKind, ColumnSpec, Schema
from synthgan.transform.values import as_float, from_float, restore_dtype

TYPES = ("inequality", "range", "non_negative", "combinations")


@dataclass(frozen=True)
class Inequality:
    low: str
    high: str
    strict: bool = False

    @property
    def name(self) -> str:
        return f"{self.low} {'<' if self.strict else '<='} {self.high}"

    def to_dict(self) -> dict:
        return {"type": "inequality", "low": self.low, "high": self.high, "strict": self.strict}


@dataclass(frozen=True)
class Range:
    column: str
    low: float | None = None
    high: float | None = None

    @property
    def name(self) -> str:
        return f"{self.low if self.low is not None else '-inf'} <= {self.column} <= " \
               f"{self.high if self.high is not None else 'inf'}"

    def to_dict(self) -> dict:
        return {"type": "range", "column": self.column, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class Combinations:
    columns: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"valid combinations of {list(self.columns)}"

    @property
    def merged(self) -> str:
        """The name of the one categorical column the model learns."""
        return "+".join(self.columns)

    def to_dict(self) -> dict:
        return {"type": "combinations", "columns": list(self.columns)}

    def key(self, frame: pd.DataFrame) -> pd.Series:
        """Each row's combination as one text value (JSON of the values; null stays null)."""
        import json
        rows = frame[list(self.columns)].astype(object).where(frame[list(self.columns)].notna(), None)
        return pd.Series([json.dumps([_plain(v) for v in r]) for r in rows.itertuples(index=False)],
                         index=frame.index, dtype=object)


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def parse(specs: Any) -> list:
    """Constraint objects from a list of dicts (as in a request or ``config.json``) or objects."""
    if specs is None:
        return []
    if not isinstance(specs, (list, tuple)):
        raise ConstraintError(f"constraints: expected a list, got {type(specs).__name__}")
    out = []
    for i, c in enumerate(specs):
        if isinstance(c, (Inequality, Range, Combinations)):
            out.append(c)
            continue
        if not isinstance(c, Mapping) or c.get("type") not in TYPES:
            raise ConstraintError(f"constraints[{i}]: expected a mapping with type one of {list(TYPES)}, got {c!r}")
        kind, fields = c["type"], {k: v for k, v in c.items() if k != "type"}
        allowed = {"inequality": {"low", "high", "strict"}, "range": {"column", "low", "high"},
                   "non_negative": {"column"}, "combinations": {"columns"}}[kind]
        extra = sorted(set(fields) - allowed)
        if extra:
            raise ConstraintError(f"constraints[{i}] ({kind}): unknown field(s) {extra}; expected {sorted(allowed)}")
        try:
            if kind == "inequality":
                out.append(Inequality(str(fields["low"]), str(fields["high"]), bool(fields.get("strict", False))))
            elif kind == "range":
                lo, hi = fields.get("low"), fields.get("high")
                if lo is None and hi is None:
                    raise ConstraintError(f"constraints[{i}] (range): give low, high or both")
                out.append(Range(str(fields["column"]), _number(lo, i), _number(hi, i)))
            elif kind == "combinations":
                cols = fields["columns"]
                if not isinstance(cols, (list, tuple)) or len(cols) < 2 or len(set(map(str, cols))) != len(cols):
                    raise ConstraintError(f"constraints[{i}] (combinations): columns must list two or more "
                                          f"different columns, got {cols!r}")
                out.append(Combinations(tuple(str(c) for c in cols)))
            else:
                out.append(Range(str(fields["column"]), 0.0, None))
        except KeyError as e:
            raise ConstraintError(f"constraints[{i}] ({kind}): missing field {e.args[0]!r}") from None
    return out


def _number(v: Any, i: int) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float, np.number)):
        raise ConstraintError(f"constraints[{i}] (range): low and high must be numbers or null, got {v!r}")
    return float(v)


def _values(s: pd.Series, kind: ColumnKind) -> np.ndarray:
    return as_float(s, kind)


def check(constraints: list, data: pd.DataFrame, schema: Schema) -> None:
    """Every constraint names columns of the right kinds, and the real rows all keep it."""
    seen_high: set[str] = set()
    combined: set[str] = set()
    for c in constraints:
        if isinstance(c, Combinations):
            for col in c.columns:
                _column_of_kind(c, col, schema, schema[col].kind.is_discrete if col in schema.names else False,
                                "categorical or boolean columns")
                if col in combined:
                    raise ConstraintError(f"constraint {c.name}: {col!r} is already in another combinations constraint")
                combined.add(col)
            if c.merged in schema.names:
                raise ConstraintError(f"constraint {c.name}: the data already has a column named {c.merged!r}")
            continue
        cols = (c.low, c.high) if isinstance(c, Inequality) else (c.column,)
        for col in cols:
            _column_of_kind(c, col, schema, schema[col].kind.is_numeric if col in schema.names else False,
                            "a numeric or datetime column")
            if isinstance(c, Range) and schema[col].kind is ColumnKind.DATETIME:
                raise ConstraintError(f"constraint {c.name}: {col!r} is a datetime; ranges apply to numbers "
                                      "(datetimes stay inside their real range)")
        if isinstance(c, Inequality):
            a, b = schema[c.low].kind, schema[c.high].kind
            if (a is ColumnKind.DATETIME) != (b is ColumnKind.DATETIME):
                raise ConstraintError(f"constraint {c.name}: compares {a.value} with {b.value}")
            if c.high in seen_high or c.high == c.low:
                raise ConstraintError(f"constraint {c.name}: {c.high!r} is already the high side of a constraint")
            seen_high.add(c.high)
            lo, hi = _values(data[c.low], a), _values(data[c.high], b)
            nulls = np.isnan(lo) | np.isnan(hi)
            if nulls.any():
                raise ConstraintError(f"constraint {c.name}: {int(nulls.sum())} row(s) have a null in {c.low!r} or "
                                      f"{c.high!r} (first: row {int(np.flatnonzero(nulls)[0])}); inequalities "
                                      "need both values")
            broken = (hi <= lo) if c.strict else (hi < lo)
        else:
            v = _values(data[c.column], schema[c.column].kind)
            with np.errstate(invalid="ignore"):
                broken = ((v < c.low) if c.low is not None else False) | ((v > c.high) if c.high is not None else False)
            broken = np.asarray(broken) & ~np.isnan(v)
        if np.any(broken):
            first = int(np.flatnonzero(broken)[0])
            raise ConstraintError(f"constraint {c.name}: the real data breaks it in {int(np.sum(broken))} row(s) "
                                  f"(first: row {first}, {_row(data, c, first)}); fix the data or drop the constraint")


def _column_of_kind(c, col: str, schema: Schema, kind_ok: bool, expected: str) -> None:
    """``col`` is a column of the data, of a kind the constraint ``c`` takes."""
    if col not in schema.names:
        raise ConstraintError(f"constraint {c.name}: {col!r} is not a column of the data; columns are {schema.names}")
    if not kind_ok:
        raise ConstraintError(f"constraint {c.name}: {col!r} is {schema[col].kind.value}; expected {expected}")


def _row(data: pd.DataFrame, c, i: int) -> str:
    cols = (c.low, c.high) if isinstance(c, Inequality) else (c.column,)
    return ", ".join(f"{col}={data[col].iloc[i]!r}" for col in cols)


def merged(constraints: list, columns) -> list:
    """The combinations to merge among ``columns`` (the learned ones): a column derived from
    another is left to its derivation, which keeps it valid; fewer than two left: nothing to merge."""
    out = []
    for c in constraints:
        if isinstance(c, Combinations):
            kept = tuple(col for col in c.columns if col in columns)
            if len(kept) >= 2:
                out.append(Combinations(kept))
    return out


def learned(constraints: list, data: pd.DataFrame, schema: Schema) -> tuple[pd.DataFrame, Schema]:
    """The table the model learns: each inequality's high column replaced by its gap, each set of
    combined columns by one categorical column of their combinations (in the first one's place)."""
    ineq = [c for c in constraints if isinstance(c, Inequality) and c.high in data.columns]
    combos = merged(constraints, data.columns)
    if not ineq and not combos:
        return data, schema
    data = data.copy()
    specs = {s.name: s for s in schema.columns}
    order = list(schema.names)
    for c in combos:
        data.insert(list(data.columns).index(c.columns[0]), c.merged, c.key(data))
        data = data.drop(columns=list(c.columns))
        specs[c.merged] = ColumnSpec(c.merged, ColumnKind.CATEGORICAL, "object")
        order = [c.merged if n == c.columns[0] else n for n in order if n not in c.columns[1:]]
    for c in ineq:
        kind = schema[c.high].kind
        gap = _values(data[c.high], kind) - _values(data[c.low], schema[c.low].kind)
        if kind is ColumnKind.DATETIME:         # a datetime after the epoch: rounded to the gaps' own unit
            data[c.high] = pd.Series((gap * 1e9).astype("int64").astype("datetime64[ns]"), index=data.index)
            specs[c.high] = ColumnSpec(c.high, ColumnKind.DATETIME, "datetime64[ns]")
            continue
        both_int = kind is ColumnKind.INTEGER and schema[c.low].kind is ColumnKind.INTEGER
        data[c.high] = gap.astype(np.int64) if both_int else gap
        specs[c.high] = ColumnSpec(c.high, ColumnKind.INTEGER if both_int else ColumnKind.CONTINUOUS,
                                   "int64" if both_int else "float64")
    return data, Schema(tuple(specs[n] for n in order))


def split(combos: list, out: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """Generated rows with each merged combinations column (``combos``, of :func:`merged`) split
    back into its columns (real dtypes, in the merged column's place)."""
    import json

    for c in combos:
        if c.merged not in out.columns:
            continue
        parts = [json.loads(k) if isinstance(k, str) else [None] * len(c.columns) for k in out[c.merged]]
        at = list(out.columns).index(c.merged)
        out = out.drop(columns=[c.merged])
        for i, col in enumerate(c.columns):
            values = pd.Series([p[i] for p in parts], index=out.index, dtype=object)
            out.insert(at + i, col, restore_dtype(values, schema[col].dtype))
    return out


def restore(constraints: list, out: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """Generated rows with every constraint applied: high = low + gap (the gap kept >= 0, or > 0
    when strict), ranges clipped; columns back in their real dtypes."""
    for c in constraints:
        if isinstance(c, Inequality):
            kind = schema[c.high].kind
            raw = out[c.high]
            gap = np.maximum(_values(raw, ColumnKind.DATETIME) if kind is ColumnKind.DATETIME else
                             pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan), 0.0)
            if c.strict:
                unit = 1.0 if kind in (ColumnKind.INTEGER, ColumnKind.DATETIME) else 1e-9
                gap = np.maximum(gap, unit)
            high = _values(out[c.low], schema[c.low].kind) + gap
            out[c.high] = from_float(high, kind, schema[c.high].dtype)
    for c in constraints:
        if isinstance(c, Range):
            kind = schema[c.column].kind
            v = _values(out[c.column], kind)
            lo = c.low if c.low is not None else -np.inf
            hi = c.high if c.high is not None else np.inf
            if kind is ColumnKind.INTEGER:
                lo, hi = np.ceil(lo), np.floor(hi)
            clipped = np.where(np.isnan(v), v, np.clip(v, lo, hi))
            if not np.array_equal(clipped, v, equal_nan=True):
                out[c.column] = from_float(clipped, kind, schema[c.column].dtype)
    return out
