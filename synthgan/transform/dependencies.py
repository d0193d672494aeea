"""Columns that another column determines exactly (for Adult: education -> education-num).

A GAN learns such a pairing only approximately, and a single off pair breaks a data contract. So
the dependent column is not learned: it is derived from its source after sampling, through the
mapping seen in the real data. The same search drafts the contract's pair rules.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from synthgan.schema import ColumnKind, Schema

MAX_LEVELS = 50            # only low-cardinality columns are searched
MIN_ROWS_PER_LEVEL = 20    # ... with enough rows per level that a pairing is not a coincidence


def py_scalar(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


@dataclass(frozen=True)
class Dependency:
    """``target`` is a function of ``source``: ``pairs`` lists every (source, target) value seen."""

    source: str
    target: str
    pairs: tuple[tuple[Any, Any], ...]
    one_to_one: bool

    def derive(self, source_values: pd.Series) -> pd.Series:
        """Target values for ``source_values`` (null where the source is null)."""
        mapping = dict(self.pairs)
        return source_values.map(lambda v: mapping.get(py_scalar(v)) if pd.notna(v) else None)

    def source_value_of(self, target_value: Any) -> Any | None:
        """For a one-to-one pairing, the source value that gives ``target_value``."""
        for s, t in self.pairs:
            if t == target_value or str(t) == str(target_value):
                return s
        return None

    def to_dict(self) -> dict:
        return {"source": self.source, "target": self.target, "pairs": [list(p) for p in self.pairs],
                "one_to_one": self.one_to_one}

    @classmethod
    def from_dict(cls, d: dict) -> "Dependency":
        return cls(d["source"], d["target"], tuple((a, b) for a, b in d["pairs"]), bool(d["one_to_one"]))


def _determines(df: pd.DataFrame, a: str, b: str) -> bool:
    if not (df[a].isna() == df[b].isna()).all():   # nulls must travel together
        return False
    both = df[[a, b]].dropna()
    return len(both) > 0 and int(both.groupby(a, observed=True)[b].nunique().max()) == 1


def find_dependencies(df: pd.DataFrame, schema: Schema) -> list[Dependency]:
    """Exact pairings among low-cardinality discrete or integer columns.

    A column is derived at most once and a derived column is never a source. Of a one-to-one
    pair, the categorical column is kept as the source (conditions are usually asked on it).
    """
    n = len(df)
    small = [c for c in schema.columns
             if (c.kind.is_discrete or c.kind is ColumnKind.INTEGER) and c.name in df.columns
             and 2 <= df[c.name].nunique() <= min(MAX_LEVELS, n // MIN_ROWS_PER_LEVEL)]
    out: list[Dependency] = []
    targets: set[str] = set()
    sources: set[str] = set()
    for a, b in itertools.permutations(small, 2):
        if b.name in targets or b.name in sources or a.name in targets:
            continue
        if not _determines(df, a.name, b.name):
            continue
        one_to_one = _determines(df, b.name, a.name)
        if one_to_one and b.kind.is_discrete and not a.kind.is_discrete:
            continue    # the reverse direction (categorical source) comes up in its own turn
        pairs = df[[a.name, b.name]].dropna().drop_duplicates()
        pairs = tuple(sorted(((py_scalar(x), py_scalar(y)) for x, y in pairs.itertuples(index=False)), key=str))
        out.append(Dependency(a.name, b.name, pairs, one_to_one))
        targets.add(b.name)
        sources.add(a.name)
    return out
