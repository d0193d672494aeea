"""Column kinds and their inference; a :class:`Schema` round-trips through JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from synthgan.errors import SchemaError


class ColumnKind(str, Enum):
    """How a column is modelled."""

    CONTINUOUS = "continuous"
    INTEGER = "integer"
    CATEGORICAL = "categorical"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    ID = "id"

    @property
    def is_discrete(self) -> bool:
        return self in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN)

    @property
    def is_numeric(self) -> bool:
        return self in (ColumnKind.CONTINUOUS, ColumnKind.INTEGER, ColumnKind.DATETIME)


@dataclass(frozen=True)
class ColumnSpec:
    """One column: its name, kind and the pandas dtype to give back on output."""

    name: str
    kind: ColumnKind
    dtype: str
    nullable: bool = False

    def to_dict(self) -> dict:
        d = asdict(self)
        d["kind"] = self.kind.value
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> "ColumnSpec":
        try:
            return cls(name=str(d["name"]), kind=ColumnKind(d["kind"]), dtype=str(d["dtype"]),
                       nullable=bool(d.get("nullable", False)))
        except KeyError as e:
            raise SchemaError(f"schema column entry {dict(d)!r} lacks the field {e.args[0]!r}") from None
        except ValueError:
            kinds = [k.value for k in ColumnKind]
            raise SchemaError(
                f"schema column {d.get('name')!r}: unknown kind {d.get('kind')!r}; expected one of {kinds}"
            ) from None


@dataclass(frozen=True)
class Schema:
    """The ordered columns of a table."""

    columns: tuple[ColumnSpec, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise SchemaError(f"schema has duplicate column names: {dup}")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def __getitem__(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise SchemaError(f"schema has no column {name!r}; columns are {self.names}")

    def of_kind(self, *kinds: ColumnKind) -> list[str]:
        return [c.name for c in self.columns if c.kind in kinds]

    @property
    def discrete_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.kind.is_discrete]

    def to_dict(self) -> dict:
        return {"columns": [c.to_dict() for c in self.columns]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, d: Mapping) -> "Schema":
        if not isinstance(d, Mapping) or not isinstance(d.get("columns"), list):
            raise SchemaError("a schema must be a JSON object with a list under 'columns'")
        return cls(tuple(ColumnSpec.from_dict(c) for c in d["columns"]))

    @classmethod
    def from_json(cls, text: str) -> "Schema":
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as e:
            raise SchemaError(f"schema JSON is malformed: {e}") from None


# An integer column with at most this many distinct values (and few relative to the rows) is
# treated as categorical: e.g. a 1-5 rating. Larger ones are counts or amounts.
MAX_INTEGER_LEVELS = 10
_ID_NAME_HINTS = ("id", "uuid", "key")


def _looks_like_id(name: str, s: pd.Series) -> bool:
    """Unique, non-null strings or integers named like an identifier, or unique strings."""
    n = len(s)
    if n < 20 or s.isna().any() or s.nunique() != n:
        return False
    lowered = name.lower().replace("-", "_")
    named_like_id = lowered in _ID_NAME_HINTS or lowered.endswith(tuple("_" + h for h in _ID_NAME_HINTS))
    if pd.api.types.is_integer_dtype(s.dtype):
        return named_like_id or bool(s.is_monotonic_increasing and (s.diff().iloc[1:] == 1).all())
    return pd.api.types.is_string_dtype(s.dtype) or s.dtype == object


def infer_kind(name: str, s: pd.Series) -> ColumnKind:
    """Guess the :class:`ColumnKind` of one column from its dtype and values."""
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return ColumnKind.BOOLEAN
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return ColumnKind.DATETIME
    if isinstance(dtype, pd.CategoricalDtype):
        return ColumnKind.CATEGORICAL
    if _looks_like_id(name, s):
        return ColumnKind.ID
    if pd.api.types.is_integer_dtype(dtype) or (
        pd.api.types.is_float_dtype(dtype) and _floats_are_integers(s)
    ):
        levels = s.nunique(dropna=True)
        if levels <= MAX_INTEGER_LEVELS and levels <= max(2, 0.05 * len(s)):
            return ColumnKind.CATEGORICAL
        return ColumnKind.INTEGER
    if pd.api.types.is_numeric_dtype(dtype):
        return ColumnKind.CONTINUOUS
    non_null = s.dropna()
    if len(non_null) and non_null.map(type).isin([bool, np.bool_]).all():
        return ColumnKind.BOOLEAN
    return ColumnKind.CATEGORICAL


def _floats_are_integers(s: pd.Series) -> bool:
    v = s.dropna().to_numpy(dtype=float)
    return len(v) > 0 and bool(np.all(np.isfinite(v)) and np.all(v == np.round(v)))


def infer_schema(
    df: pd.DataFrame,
    overrides: Mapping[str, str | ColumnKind] | None = None,
    discrete_columns: Iterable[str] | None = None,
) -> Schema:
    """Infer a :class:`Schema` from a DataFrame.

    Parameters
    ----------
    df : DataFrame
        The real data.
    overrides : mapping, optional
        Column name -> kind, taking precedence over inference.
    discrete_columns : iterable of str, optional
        When given, exactly these columns are discrete (categorical or boolean); other columns
        that would have been inferred categorical become continuous/integer where numeric.

    Returns
    -------
    Schema
    """
    overrides = dict(overrides or {})
    discrete = None if discrete_columns is None else list(discrete_columns)
    for name in list(overrides) + (discrete or []):
        if name not in df.columns:
            raise SchemaError(f"column {name!r} is not in the data; columns are {list(df.columns)}")
    specs = []
    for name in df.columns:
        s = df[name]
        if name in overrides:
            try:
                kind = ColumnKind(overrides[name])
            except ValueError:
                raise SchemaError(
                    f"column {name!r}: unknown kind {overrides[name]!r}; "
                    f"expected one of {[k.value for k in ColumnKind]}"
                ) from None
        else:
            kind = infer_kind(str(name), s)
            if discrete is not None:
                kind = _apply_discrete_choice(str(name), s, kind, name in discrete)
        specs.append(ColumnSpec(str(name), kind, str(s.dtype), bool(s.isna().any())))
    return Schema(tuple(specs))


def _apply_discrete_choice(name: str, s: pd.Series, kind: ColumnKind, is_discrete: bool) -> ColumnKind:
    if is_discrete:
        return kind if kind.is_discrete else ColumnKind.CATEGORICAL
    if kind.is_discrete and pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return ColumnKind.INTEGER if pd.api.types.is_integer_dtype(s.dtype) else ColumnKind.CONTINUOUS
    return kind
