"""Personal data under a contract: never learned, and dropped or faked on output.

``strip_pii`` removes the marked columns before a model sees the data. ``apply_pii_policy`` puts
the synthetic table into the contract's shape: 'drop' columns stay out; 'fake' columns get values
of the real format (each digit, upper-case and lower-case letter replaced by a random one of its
class, other characters kept; integers with the same number of digits) that match no real value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthgan.contracts.suite import pii_columns
from synthgan.errors import ContractError

_DIGITS = np.array(list("0123456789"))
_UPPER = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
_LOWER = np.array(list("abcdefghijklmnopqrstuvwxyz"))
MAX_TRIES = 20


def strip_pii(df: pd.DataFrame, suite) -> pd.DataFrame:
    """``df`` without the columns the contract marks as personal data."""
    return df.drop(columns=[c for c in pii_columns(suite) if c in df.columns])


def apply_pii_policy(synthetic: pd.DataFrame, suite, real: pd.DataFrame, rng: np.random.Generator,
                     columns: list[str] | None = None) -> pd.DataFrame:
    """The synthetic table with 'fake' columns filled in and 'drop' columns left out.

    ``columns`` gives the output order (default: the real table's order).
    """
    out = synthetic.copy()
    for col, spec in pii_columns(suite).items():
        if spec["on_output"] == "drop":
            out = out.drop(columns=[col], errors="ignore")
            continue
        if col not in real.columns:
            raise ContractError(f"personal-data column {col!r} is marked 'fake' but the real data lacks it")
        out[col] = fake_like(real[col], len(out), rng)
    order = [c for c in (columns or list(real.columns)) if c in out.columns]
    return out[order + [c for c in out.columns if c not in order]]


def fake_like(real: pd.Series, n: int, rng: np.random.Generator) -> pd.Series:
    """``n`` values in the format of ``real``'s values, none equal to a real value, unique when the
    real ones are."""
    values = real.dropna()
    if len(values) == 0:
        return pd.Series([None] * n, dtype=real.dtype)
    taken = set(values.astype(str))
    unique = values.is_unique
    templates = values.astype(str).to_numpy()[rng.integers(0, len(values), n)]
    out = np.array([_scramble(t, rng) for t in templates], dtype=object)
    for _ in range(MAX_TRIES):
        seen: set = set()

        def collides(v: str) -> bool:
            hit = v in taken or (unique and v in seen)
            seen.add(v)
            return hit
        # a boolean mask, always (a list mixing True and None once made an object array here)
        bad = np.fromiter((collides(v) for v in out), dtype=bool, count=len(out))
        if not bad.any():
            break
        out[bad] = [_scramble(t, rng) for t in templates[bad]]
    else:
        raise ContractError(f"could not make {n} fake values for column {real.name!r} that differ from "
                            "the real ones: the format leaves too few possibilities")
    nulls = rng.random(n) < real.isna().mean()
    result = pd.Series(out, name=real.name)
    if pd.api.types.is_integer_dtype(real.dtype) or pd.api.types.is_float_dtype(real.dtype):
        result = pd.to_numeric(result).astype(real.dtype if not nulls.any() else "float64")
    result[nulls] = None
    return result


def _scramble(text: str, rng: np.random.Generator) -> str:
    chars = list(text)
    for i, ch in enumerate(chars):
        if ch.isdigit():
            # a leading digit of a number stays non-zero, so the width does not change
            pool = _DIGITS[1:] if i == 0 and len(chars) > 1 and text.lstrip("-").isdigit() else _DIGITS
            chars[i] = pool[rng.integers(len(pool))]
        elif "A" <= ch <= "Z":
            chars[i] = _UPPER[rng.integers(26)]
        elif "a" <= ch <= "z":
            chars[i] = _LOWER[rng.integers(26)]
    return "".join(chars)
