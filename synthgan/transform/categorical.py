"""One-hot codes for a discrete column, with nulls as a level and rare levels grouped.

Beyond ``max_categories`` levels, the rarest ones share one "other" code; decoding an "other" code
draws one of the grouped real values with its real frequency, so a 10,000-level column costs
``max_categories`` one-hot dimensions and every output value is still a real one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


def _to_python(v: Any) -> Any:
    """A JSON-friendly Python scalar from a numpy/pandas scalar."""
    if isinstance(v, np.generic):
        return v.item()
    return v


@dataclass
class CategoryEncoder:
    """Levels of one discrete column, most frequent first.

    ``levels`` holds the kept real values; then, when present, one code for null and one for
    the grouped rare values (``rare_values`` with probabilities ``rare_probs``).
    """

    levels: list
    frequencies: list[float]
    has_null: bool = False
    rare_values: list = field(default_factory=list)
    rare_probs: list[float] = field(default_factory=list)

    @property
    def null_code(self) -> int | None:
        return len(self.levels) if self.has_null else None

    @property
    def other_code(self) -> int | None:
        return len(self.levels) + int(self.has_null) if self.rare_values else None

    @property
    def n_codes(self) -> int:
        return len(self.levels) + int(self.has_null) + int(bool(self.rare_values))

    @classmethod
    def fit(cls, s: pd.Series, max_categories: int = 100) -> "CategoryEncoder":
        counts = s.value_counts(dropna=False, sort=True)
        null_count = int(counts[counts.index.isna()].sum())
        counts = counts[~counts.index.isna()]
        budget = max(1, max_categories - int(null_count > 0))
        rare = counts.iloc[budget - 1:] if len(counts) > budget else counts.iloc[:0]
        kept = counts.iloc[: budget - 1] if len(rare) else counts
        total = float(len(s))
        freqs = [c / total for c in kept.tolist()]
        if null_count:
            freqs.append(null_count / total)
        if len(rare):
            freqs.append(float(rare.sum()) / total)
        return cls(
            levels=[_to_python(v) for v in kept.index],
            frequencies=freqs,
            has_null=null_count > 0,
            rare_values=[_to_python(v) for v in rare.index],
            rare_probs=(rare / rare.sum()).tolist() if len(rare) else [],
        )

    def code_of(self, value: Any) -> int | None:
        """The code of one value (None when it was never seen)."""
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            return self.null_code
        codes = self.transform(pd.Series([value], dtype=object))
        return int(codes[0]) if codes[0] >= 0 else None

    def transform(self, s: pd.Series) -> np.ndarray:
        """Codes (int64, shape (n,)); -1 marks a value never seen in fit."""
        codes = pd.Index(self.levels, dtype=object).get_indexer(s.astype(object))
        if self.rare_values:
            is_rare = pd.Index(self.rare_values, dtype=object).get_indexer(s.astype(object)) >= 0
            codes[is_rare] = self.other_code
        if self.has_null:
            codes[s.isna().to_numpy()] = self.null_code
        return codes.astype(np.int64)

    def inverse(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Values (object array) of the codes; "other" draws a grouped real value."""
        lookup = np.empty(self.n_codes, dtype=object)
        lookup[: len(self.levels)] = self.levels
        if self.has_null:
            lookup[self.null_code] = None
        out = lookup[codes]
        if self.rare_values:
            is_other = codes == self.other_code
            picks = rng.choice(len(self.rare_values), size=int(is_other.sum()), p=self.rare_probs)
            out[is_other] = np.asarray(self.rare_values, dtype=object)[picks]
        return out

    def to_state(self) -> dict:
        return {"levels": self.levels, "frequencies": self.frequencies, "has_null": self.has_null,
                "rare_values": self.rare_values, "rare_probs": self.rare_probs}

    @classmethod
    def from_state(cls, state: dict) -> "CategoryEncoder":
        return cls(**state)
