"""Draft a contract from real data: a GX ExpectationSuite for people to review.

What the profiler writes, per column: it exists; its type; its null rate (``mostly`` = observed
non-null share minus ``null_slack``); numeric and datetime ranges; category sets; uniqueness of
identifier columns; mean and standard deviation within bands of ``tolerance`` (mean within
``tolerance`` standard deviations, deviation within a factor ``1 +/- tolerance``). For the table:
the exact column set, and a row count of at least one (synthetic tables have whatever size was
asked for). Between columns: ``A <= B`` where it holds in every real row and is not already implied
by the two ranges, and the allowed value pairs where one low-cardinality column determines another
(for Adult: education -> education-num).

Columns marked as personal data get no value sets, ranges or statistics (a contract must not leak
them): only existence, non-null, uniqueness and the format of their values when they are to be
replaced by fakes; nothing at all when they are to be dropped.
"""

from __future__ import annotations

import itertools
import re
from typing import Any, Mapping

import pandas as pd

from synthgan.contracts.suite import META_KEY, PII_ACTIONS, check_meta, gx_context
from synthgan.errors import ContractError, DataError
from synthgan.schema import ColumnKind, Schema, infer_schema
from synthgan.transform.dependencies import find_dependencies, py_scalar

MAX_SET_SIZE = 500           # larger category sets are left to review, not written out


def draft_suite(df: pd.DataFrame, name: str, schema: Schema | None = None, tolerance: float = 0.25,
                null_slack: float = 0.01, pii: Mapping[str, Any] | None = None):
    """Profile ``df`` into an ExpectationSuite named ``name``.

    Parameters
    ----------
    pii : mapping, optional
        Column -> 'drop' or 'fake' (or a full ``{'role': 'identifier'|'personal', 'on_output': ...}``).
    """
    import great_expectations.expectations as E
    from great_expectations.core import ExpectationSuite

    if len(df) == 0:
        raise DataError(f"cannot draft contract {name!r} from a table with no rows")
    if not 0 <= tolerance <= 10:
        raise ContractError(f"tolerance: expected a value in [0, 10], got {tolerance}")
    gx_context()
    schema = schema or infer_schema(df)
    pii_meta = _pii_meta(pii, df)
    dropped = {c for c, s in pii_meta.items() if s["on_output"] == "drop"}
    out: list = [E.ExpectTableColumnsToMatchSet(column_set=[c for c in df.columns if c not in dropped], exact_match=True),
                 E.ExpectTableRowCountToBeBetween(min_value=1, max_value=None)]
    for spec in schema.columns:
        if spec.name in dropped:
            continue
        s = df[spec.name]
        out += _column(E, spec.name, spec.kind, s, tolerance, null_slack, spec.name in pii_meta)
    plain = [c for c in schema.columns if c.name not in pii_meta and c.kind is not ColumnKind.ID]
    out += _inequalities(E, df, plain)
    out += _dependencies(E, df, plain)
    meta = {META_KEY: {"drafted_from_rows": len(df), "tolerance": tolerance, "null_slack": null_slack,
                       "kinds": {c.name: c.kind.value for c in schema.columns}, "pii": pii_meta,
                       "review": "drafted by synthgan; not reviewed yet"}}
    return ExpectationSuite(name=name, expectations=out, meta=meta)


def _pii_meta(pii: Mapping[str, Any] | None, df: pd.DataFrame) -> dict:
    meta = {}
    for col, spec in (pii or {}).items():
        if col not in df.columns:
            raise ContractError(f"personal-data column {col!r} is not in the data; columns are {list(df.columns)}")
        if isinstance(spec, str):
            if spec not in PII_ACTIONS:
                raise ContractError(f"personal-data column {col!r}: action {spec!r}, expected one of {list(PII_ACTIONS)}")
            spec = {"role": "personal", "on_output": spec}
        meta[col] = dict(spec)
    check_meta({META_KEY: {"pii": meta}}, "pii")
    return meta


def type_list(s: pd.Series) -> list[str]:
    """Dtype names GX may report for a column like ``s`` (text columns are validated as object)."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return ["bool", "boolean"]
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return ["datetime64", "datetime64[ns]", "datetime64[us]", "datetime64[ms]", "datetime64[s]"]
    if pd.api.types.is_integer_dtype(s.dtype):
        return ["int64", "int32", "int16", "int8", "Int64", "Int32"]
    if pd.api.types.is_float_dtype(s.dtype):
        return ["float64", "float32", "Float64"]
    return ["str", "object"]


def _column(E, name: str, kind: ColumnKind, s: pd.Series, tol: float, slack: float, is_pii: bool) -> list:
    out = [E.ExpectColumnToExist(column=name), E.ExpectColumnValuesToBeInTypeList(column=name, type_list=type_list(s))]
    nonnull = float(s.notna().mean())
    if nonnull == 1.0:
        out.append(E.ExpectColumnValuesToNotBeNull(column=name))
    elif nonnull - slack > 0:
        out.append(E.ExpectColumnValuesToNotBeNull(column=name, mostly=round(max(nonnull - slack, 0.0), 4)))
    if kind is ColumnKind.ID or (is_pii and s.dropna().is_unique):
        out.append(E.ExpectColumnValuesToBeUnique(column=name))
    if is_pii:
        pattern = format_regex(s)
        if pattern:
            out.append(E.ExpectColumnValuesToMatchRegex(column=name, regex=pattern))
        return out
    v = s.dropna()
    if kind.is_discrete:
        levels = sorted({py_scalar(x) for x in v.unique()}, key=str)
        if len(levels) <= MAX_SET_SIZE:
            out.append(E.ExpectColumnValuesToBeInSet(column=name, value_set=levels))
    elif kind is ColumnKind.DATETIME:
        out.append(E.ExpectColumnValuesToBeBetween(column=name, min_value=v.min(), max_value=v.max()))
    elif kind.is_numeric:
        lo, hi = py_scalar(v.min()), py_scalar(v.max())
        out.append(E.ExpectColumnValuesToBeBetween(column=name, min_value=lo, max_value=hi))
        mean, sd = float(v.mean()), float(v.std())
        if sd > 0:
            out.append(E.ExpectColumnMeanToBeBetween(column=name, min_value=_round(mean - tol * sd),
                                                     max_value=_round(mean + tol * sd)))
            out.append(E.ExpectColumnStdevToBeBetween(column=name, min_value=_round(sd * max(0.0, 1 - tol)),
                                                      max_value=_round(sd * (1 + tol))))
    return out


def _round(x: float) -> float:
    return float(f"{x:.6g}")


def _inequalities(E, df: pd.DataFrame, specs) -> list:
    """A <= B in every real row where both are present, unless max(A) <= min(B) says so already."""
    cols = [c for c in specs if c.kind.is_numeric]
    out = []
    for ca, cb in itertools.permutations(cols, 2):
        if (ca.kind is ColumnKind.DATETIME) != (cb.kind is ColumnKind.DATETIME):
            continue                      # dates are compared with dates, numbers with numbers
        a, b = ca.name, cb.name
        both = df[[a, b]].dropna()
        if len(both) < 2 or bool((both[a] == both[b]).all()):
            continue
        x, y = both[a], both[b]
        if bool((x <= y).all()) and not x.max() <= y.min():
            out.append(E.ExpectColumnPairValuesAToBeGreaterThanB(column_A=b, column_B=a, or_equal=True,
                                                                 ignore_row_if="either_value_is_missing"))
    return out


def _dependencies(E, df: pd.DataFrame, specs) -> list:
    """Allowed (A, B) pairs where each value of A goes with a single value of B in the real data."""
    return [E.ExpectColumnPairValuesToBeInSet(column_A=d.source, column_B=d.target,
                                              value_pairs_set=[list(p) for p in d.pairs],
                                              ignore_row_if="either_value_is_missing")
            for d in find_dependencies(df, Schema(tuple(specs)))]


_SHAPES = ((re.compile(r"\d+"), r"\d"), (re.compile(r"[A-Z]+"), "[A-Z]"), (re.compile(r"[a-z]+"), "[a-z]"))


def value_shape(text: str) -> str:
    """A regex of the format of one value: runs of digits, upper and lower letters, literals."""
    out, i = [], 0
    while i < len(text):
        for rx, cls in _SHAPES:
            m = rx.match(text, i)
            if m:
                k = len(m.group())
                out.append(cls + (f"{{{k}}}" if k > 1 else ""))
                i += k
                break
        else:
            out.append(re.escape(text[i]))
            i += 1
    return "".join(out)


def format_regex(s: pd.Series, max_shapes: int = 5) -> str | None:
    """One anchored regex matching every value's shape, when there are at most ``max_shapes``."""
    shapes = sorted({value_shape(str(v)) for v in s.dropna().unique()})
    if not shapes or len(shapes) > max_shapes:
        return None
    return "^(?:" + "|".join(shapes) + ")$"
