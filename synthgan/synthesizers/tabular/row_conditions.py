"""Conditions per row for :class:`~synthgan.TabularGAN`: groups of rows with their own values
and numeric ranges (:class:`Condition`), and rows whose known cells are kept (imputation).

Every condition is met by construction, never by rejection. A condition on a discrete column is
a code of the generator's condition vector. A numeric column is conditioned through its value
bins (``numeric_bins``): a range becomes bins drawn with weight the real share of each bin inside
the range, and the decoded value is drawn or kept inside bin and range. Other columns follow the
real joint: the condition codes of each row come from a real row (kept with the model) that meets
the condition, so an impossible combination is an error before anything is generated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from synthgan.errors import ConditionError
from synthgan.schema import ColumnKind
from synthgan.transform.table import grid_step
from synthgan.transform.values import as_float


@dataclass(frozen=True)
class Condition:
    """``rows`` rows that all meet ``values``: column -> a value (discrete or numeric, kept
    exactly) or a range ``(low, high)`` of a numeric or datetime column, bounds included, ``None``
    for an open end. Example: ``Condition(500, {"income": ">50K", "age": (30, 40)})``."""

    rows: int
    values: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.rows, (int, np.integer)) or isinstance(self.rows, bool) or self.rows < 0:
            raise ConditionError(f"Condition.rows: expected a non-negative integer, got {self.rows!r}")
        if not isinstance(self.values, Mapping):
            raise ConditionError(f"Condition.values: expected a mapping of column -> value or (low, high), "
                                 f"got {type(self.values).__name__}")


@dataclass
class Plan:
    """What one group of rows is conditioned on: code weights per condition column (index of the
    condition span), per-column (low, high) bounds, and values written exactly into the output."""

    weights: dict[int, np.ndarray] = field(default_factory=dict)
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)
    exact: dict[str, Any] = field(default_factory=dict)


def is_range(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and not isinstance(value, str)


def describe(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} in [{_fmt(v[0])}, {_fmt(v[1])}]" if is_range(v) else f"{k} = {v!r}"
                     for k, v in values.items())


def _fmt(v: Any) -> str:
    return "open" if v is None else repr(v)


def typed(gan, values: Mapping[str, Any]) -> dict[str, Any]:
    """Condition values as written in a request or on the command line, typed for ``gan``: a
    discrete value given as text matched to the column's real levels, a two-item list a range."""
    out = {}
    for col, v in values.items():
        if is_range(v):
            out[col] = tuple(v)
        elif isinstance(v, str) and col in gan.transformer_.discrete_:
            out[col] = gan.typed_value(col, v)
        else:
            out[col] = v
    return out


def cond_index(layout) -> dict[tuple[str, bool], int]:
    """(column, is its value bins) -> the index of its condition span."""
    return {(c, b): j for j, (c, b) in enumerate(zip(layout.cond_columns, layout.cond_binned))}


def plan(gan, values: Mapping[str, Any]) -> Plan:
    """Check ``values`` against the fitted ``gan`` and turn them into a :class:`Plan`."""
    t = gan.transformer_
    index = cond_index(t.layout_)
    names = gan.schema_.names
    derived = {d.target: d for d in gan.dependencies_}
    combo_of = {col: (c, i) for c in gan.combinations() for i, col in enumerate(c.columns)}
    out = Plan()
    for col, value in values.items():
        if col not in names:
            raise ConditionError(f"cannot condition on {col!r}: it is not a column of the data; columns are {names}")
        kind = gan.schema_[col].kind
        if kind is ColumnKind.ID:
            raise ConditionError(f"cannot condition on {col!r}: it is an identifier column, generated fresh")
        if col in gan.constrained_columns():
            raise ConditionError(_rebuilt(gan, col))
        if col in derived:
            _plan_derived(gan, derived[col], value, index, out)
        elif col in combo_of:                     # one column of a combinations constraint
            if is_range(value):
                raise ConditionError(f"{col!r} is {kind.value}: a range (low, high) applies to numeric and "
                                     f"datetime columns; give one value")
            combo, i = combo_of[col]
            enc = t.discrete_[combo.merged]
            seen = [json.loads(level)[i] for level in enc.levels]
            w = np.zeros(enc.n_codes)
            w[: len(seen)] = [v == value or str(v) == str(value) for v in seen]
            if not w.any():
                shown = ", ".join(repr(v) for v in sorted({str(v) for v in seen})[:30])
                raise ConditionError(f"unknown value {value!r} for column {col!r} (or only in combinations too rare "
                                     f"to keep; raise max_categories); valid values are: {shown}")
            _merge(out, index[(combo.merged, False)], w, col)
            out.exact[col] = value
        elif col in t.discrete_:
            if is_range(value):
                raise ConditionError(f"{col!r} is {kind.value}: a range (low, high) applies to numeric and "
                                     f"datetime columns; give one value")
            code = t.discrete_[col].code_of(value)
            if code is None:
                raise ConditionError(unknown_value(t.discrete_[col], col, value))
            _merge(out, index[(col, False)], _one_hot(t.discrete_[col].n_codes, code), col)
            out.exact[col] = value
        else:
            num = t.numeric_[col]
            if num.bins is None:
                raise ConditionError(f"cannot condition on numeric column {col!r}: this model was fitted without "
                                     "value bins (numeric_bins=0, the default); fit it with numeric_bins=10")
            j = index[(col, True)]
            if is_range(value):
                low, high = _bounds(col, kind, value)
                half = 0.5 * grid_step(num)
                share = num.bins.share_within(low - half, high + half)
                if not share.sum() > 0:
                    raise ConditionError(f"no real value of {col!r} lies in [{_fmt(value[0])}, {_fmt(value[1])}] "
                                         f"(the real values span {_show(num.minimum, kind)} to "
                                         f"{_show(num.maximum, kind)})")
                _merge(out, j, share, col)
                out.limits[col] = (low, high)
            else:
                v = _numbers(pd.Series([value]), kind, col)[0]
                if np.isnan(v):
                    raise ConditionError(f"{col!r}: a condition value must not be null; leave the column out instead")
                _merge(out, j, _one_hot(num.bins.n_codes, int(num.bins.codes(np.array([v]))[0])), col)
                out.exact[col] = value
    return out


def _rebuilt(gan, col: str) -> str:
    c = next(c for c in gan.constraints_ if getattr(c, "high", None) == col)
    return (f"{col!r} is rebuilt as {c.low!r} + a generated gap (constraint {c.name}); it cannot be conditioned "
            f"on or given: condition on {c.low!r}")


def _plan_derived(gan, dep, value: Any, index: dict, out: Plan) -> None:
    """A condition on a column derived from another becomes weights on the source's codes."""
    t = gan.transformer_
    enc = t.discrete_.get(dep.source)
    if enc is None or (dep.source, False) not in index:
        raise ConditionError(f"cannot condition on {dep.target!r}: it is derived from {dep.source!r}; "
                             f"condition on {dep.source!r} instead")
    kind = gan.schema_[dep.target].kind
    targets = dep.derive(pd.Series(enc.levels, dtype=object))
    w = np.zeros(enc.n_codes)
    if is_range(value):
        if not kind.is_numeric:
            raise ConditionError(f"{dep.target!r} is {kind.value}: a range applies to numeric and datetime columns")
        low, high = _bounds(dep.target, kind, value)
        v = _numbers(targets, kind, dep.target)
        w[: len(enc.levels)] = (v >= low) & (v <= high)
    else:
        w[: len(enc.levels)] = [t_ == value or str(t_) == str(value) for t_ in targets]
        out.exact[dep.target] = value
    if not w.any():
        raise ConditionError(f"no real value of {dep.target!r} meets {describe({dep.target: value})}")
    _merge(out, index[(dep.source, False)], w, dep.target)


def _merge(out: Plan, j: int, w: np.ndarray, col: str) -> None:
    if j in out.weights:
        w = out.weights[j] * w
        if not w.any():
            raise ConditionError(f"the value of {col!r} was never seen with the other values of this condition "
                                 "(a column derived from another, or a combinations constraint, ties them)")
    out.weights[j] = np.asarray(w, dtype=float)


def _one_hot(n: int, code: int) -> np.ndarray:
    w = np.zeros(n)
    w[code] = 1.0
    return w


def _bounds(col: str, kind: ColumnKind, value) -> tuple[float, float]:
    if len(value) != 2:
        raise ConditionError(f"{col!r}: a range is (low, high) with None for an open end, got {value!r}")
    low, high = (_numbers(pd.Series([b]), kind, col)[0] if b is not None else np.nan for b in value)
    low = -np.inf if np.isnan(low) else low
    high = np.inf if np.isnan(high) else high
    if low > high:
        raise ConditionError(f"{col!r}: the range {tuple(value)!r} is empty (low > high)")
    return float(low), float(high)


def _numbers(s: pd.Series, kind: ColumnKind, col: str) -> np.ndarray:
    """Values of a numeric or datetime column as the transformer's floats (NaN for nulls)."""
    try:
        if kind is ColumnKind.DATETIME:
            return as_float(pd.Series(pd.to_datetime(s, errors="raise")), kind)
        bad = s.map(lambda v: v is not None and not pd.isna(v) and (isinstance(v, (bool, np.bool_))
                                                                   or not isinstance(v, (int, float, np.number))))
        if bad.any():
            raise ValueError(repr(s[bad].iloc[0]))
        return as_float(s, kind)
    except (ValueError, TypeError) as e:
        what = "dates or times" if kind is ColumnKind.DATETIME else "numbers"
        raise ConditionError(f"{col!r} is {kind.value}: expected {what}, got {e}") from None


def _show(v: float, kind: ColumnKind) -> str:
    if kind is ColumnKind.DATETIME:
        return str(pd.Timestamp(v * 1e9))
    return f"{v:g}"


def unknown_value(enc, col: str, value: Any) -> str:
    valid = enc.levels + enc.rare_values
    shown = ", ".join(repr(v) for v in valid[:30]) + (f", ... ({len(valid)} in all)" if len(valid) > 30 else "")
    return f"unknown value {value!r} for column {col!r}; valid values are: {shown}"


def known_codes(gan, known: pd.DataFrame, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """For :meth:`TabularGAN.sample_remaining`: the fixed condition codes of every row of
    ``known`` ((n, n_cond), -1 where free) and, per column, which of its cells are known."""
    t = gan.transformer_
    index = cond_index(t.layout_)
    names = gan.schema_.names
    derived = {d.target: d for d in gan.dependencies_}
    fixed = np.full((len(known), len(t.layout_.cond_columns)), -1, dtype=np.int64)
    given: dict[str, np.ndarray] = {}
    combined = {col for c in gan.combinations() for col in c.columns}
    unknown = [str(c) for c in known.columns if c not in names]
    if unknown:
        raise ConditionError(f"known: column(s) {unknown} are not columns of the data; columns are {names}")
    if known.columns.duplicated().any():
        raise ConditionError(f"known: duplicate column names {sorted(set(known.columns[known.columns.duplicated()]))}")
    for col in known.columns:
        s = known[col]
        present = s.notna().to_numpy()
        given[col] = present
        if not present.any():
            continue
        kind = gan.schema_[col].kind
        if kind is ColumnKind.ID or col in combined:
            continue
        if col in gan.constrained_columns():
            raise ConditionError("known: " + _rebuilt(gan, col))
        if col in derived:
            dep = derived[col]
            if not dep.one_to_one or (dep.source, False) not in index:
                raise ConditionError(f"known: {col!r} is derived from {dep.source!r} and does not determine it; "
                                     f"give {dep.source!r} instead")
            back = {str(tv): sv for sv, tv in dep.pairs}
            src = s[present].map(lambda v: back.get(str(v)))
            missing = src.isna().to_numpy()
            if missing.any():
                raise ConditionError(f"known: {col!r} holds {s[present][missing].iloc[0]!r}, never seen in the data "
                                     f"(row {int(np.flatnonzero(present)[missing][0])})")
            col, s, present = dep.source, src.reindex(s.index), present
            if col in known.columns:
                clash = known[col].notna().to_numpy() & present
                same = known[col][clash].astype(str).to_numpy() == s[clash].astype(str).to_numpy()
                if not same.all():
                    raise ConditionError(f"known: {dep.target!r} and {col!r} contradict each other in row "
                                         f"{int(np.flatnonzero(clash)[~same][0])}")
        if col in t.discrete_:
            enc = t.discrete_[col]
            codes = enc.transform(s[present])
            if (codes < 0).any():
                raise ConditionError(f"known: row {int(np.flatnonzero(present)[codes < 0][0])}: "
                                     + unknown_value(enc, col, s[present].iloc[int(np.flatnonzero(codes < 0)[0])]))
            fixed[present, index[(col, False)]] = codes
        else:
            num = t.numeric_[col]
            if num.bins is None:
                raise ConditionError(f"known: numeric column {col!r} cannot be conditioned on: this model was "
                                     "fitted without value bins (numeric_bins=0, the default); fit it with "
                                     "numeric_bins=10")
            try:
                v = _numbers(s[present], kind, col)
            except ConditionError as e:
                raise ConditionError(f"known: {e}") from None
            fixed[present, index[(col, True)]] = num.bins.codes(v)
    for combo in gan.combinations():
        _known_combination(gan, combo, known, fixed, index[(combo.merged, False)], rng)
    return fixed, given


def _known_combination(gan, combo, known: pd.DataFrame, fixed: np.ndarray, j: int, rng: np.random.Generator) -> None:
    """Rows knowing some columns of a combinations constraint get a code of the merged column
    among the real combinations that agree, drawn at their real frequency."""
    cols = [c for c in combo.columns if c in known.columns]
    if not cols:
        return
    enc = gan.transformer_.discrete_[combo.merged]
    seen = [json.loads(level) for level in enc.levels]
    freq = np.asarray(enc.frequencies[: len(seen)], dtype=float)
    where = [combo.columns.index(c) for c in cols]
    sub = known[cols].astype(object).where(known[cols].notna(), None)
    keys = pd.Series([json.dumps([None if v is None else str(v) for v in r]) for r in sub.itertuples(index=False)])
    for key, rows in keys.groupby(keys).groups.items():     # one draw per distinct known tuple, not per row
        values = json.loads(key)
        if all(v is None for v in values):
            continue
        ok = np.array([all(v is None or str(s[i]) == v for v, i in zip(values, where)) for s in seen])
        if not ok.any():
            shown = {c: v for c, v in zip(cols, values) if v is not None}
            raise ConditionError(f"known: row {int(rows[0])}: {shown} is not a combination seen in the data "
                                 f"({combo.name})")
        p = np.where(ok, freq, 0.0)
        fixed[np.asarray(rows), j] = rng.choice(len(seen), size=len(rows), p=p / p.sum())
