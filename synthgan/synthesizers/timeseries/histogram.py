"""A differentially private contingency table of a few discrete columns (the Gaussian mechanism).

Under DP, a time-series model's static attributes (a label, a site, a length of few values) are a
small all-discrete table, one row per series. A DP-GAN learns such a table poorly: on 2,000
labelled sines at epsilon 0.75 (a quarter of 3) it drew, by seed, 9 % or 73 % "fast" series for a
real 25 %, and up to 76 % of one of three equally common sites (bench/dp_series.py). Counting is what DP does best here: every cell of the full
cross product of the columns' codes (empty cells too, or the noise would reveal which are empty)
gets its count of series plus N(0, sigma^2). One series moves one count by one (L2 sensitivity 1),
so this is one step of the subsampled Gaussian mechanism at sample rate 1 and noise multiplier
sigma, which Opacus' accountant states and composes with the DP-SGD trainings that follow.
Negative counts are set to zero and the rest normalised (post-processing, no privacy cost);
sampling draws cells from it, and conditions keep the cells that hold their values.

The columns' category sets are public metadata, as with the DP TabularGAN's transformer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from synthgan.errors import ConditionError, ConfigError, ModelFileError
from synthgan.schema import Schema
from synthgan.train import private
from synthgan.train.private import PrivacySpec
from synthgan.transform.table import Encoded, TableTransformer

FORMAT = "synthgan.histogram/1"
FILE = "histogram.json"
# Used (with histogram="auto") when the noise summed over all cells is at most this share of the
# series: the expected total variation from the noise is then below about 0.1.
MAX_NOISE_SHARE = 0.25


class DiscreteHistogram:
    """The noisy joint distribution of an all-discrete table; sample and condition as TabularGAN does."""

    def __init__(self, privacy: Mapping[str, Any], random_state: int = 0) -> None:
        self.privacy = dict(privacy)
        self.random_state = int(random_state)

    @staticmethod
    def applies(schema: Schema) -> bool:
        """Whether every column of ``schema`` is discrete (identifiers aside)."""
        cols = [c for c in schema.columns if c.kind.value != "id"]
        return bool(cols) and all(c.kind.is_discrete for c in cols)

    @staticmethod
    def cells(table: pd.DataFrame, schema: Schema) -> int:
        """The cells of the cross product of the columns' codes (a null is a code of its own)."""
        t = TableTransformer().fit(table, schema, np.random.default_rng(0))
        return int(np.prod([t.discrete_[c].n_codes for c in t.layout_.discrete_columns], dtype=np.float64))

    def privacy_plan(self, rows: int) -> dict:
        """One Gaussian-mechanism step at sample rate 1 whose noise spends the whole budget."""
        spec = PrivacySpec.parse(self.privacy)
        try:
            sigma = private.noise_for(spec, rows, 1.0, 1)
        except ConfigError as e:
            raise ConfigError(f"{e} (this is the static attributes' noisy count table)") from None
        return {"spec": spec, "sample_rate": 1.0, "steps": 1, "noise_multiplier": sigma}

    def fit(self, table: pd.DataFrame, schema: Schema) -> "DiscreteHistogram":
        if not self.applies(schema):
            raise ConfigError("a noisy count table needs discrete columns only; "
                              f"{[c.name for c in schema.columns if not c.kind.is_discrete]} are not")
        plan = self.privacy_plan(len(table))
        rng = np.random.default_rng(self.random_state)
        self.transformer_ = TableTransformer().fit(table, schema, rng)
        self.schema_ = schema
        codes = self.transformer_.transform(table, rng).codes
        self.shape_ = tuple(int(self.transformer_.discrete_[c].n_codes) for c in self.transformer_.layout_.discrete_columns)
        counts = np.bincount(np.ravel_multi_index(codes.T, self.shape_), minlength=int(np.prod(self.shape_)))
        noisy = counts + rng.normal(0.0, plan["noise_multiplier"], counts.shape)
        kept = np.clip(noisy, 0.0, None)
        self.probabilities_ = kept / kept.sum() if kept.sum() > 0 else np.full(kept.shape, 1.0 / kept.size)
        spec = plan["spec"]
        self.privacy_spent_ = {"epsilon": private.spent(spec, plan["noise_multiplier"], 1.0, 1), "delta": spec.delta,
                               "accountant": spec.accountant, "target_epsilon": spec.epsilon,
                               "noise_multiplier": plan["noise_multiplier"], "max_grad_norm": 1.0,
                               "sample_rate": 1.0, "steps": 1, "metadata": private.METADATA,
                               "mechanism": "gaussian count table", "cells": int(kept.size)}
        return self

    def sample(self, n: int, conditions: Mapping[str, Any] | None = None,
               random_state: int | None = None) -> pd.DataFrame:
        """``n`` rows drawn from the noisy table; ``conditions`` (column -> value) hold exactly."""
        from synthgan.synthesizers.tabular.row_conditions import unknown_value
        p = self.probabilities_.reshape(self.shape_)
        columns = list(self.transformer_.layout_.discrete_columns)
        if conditions:
            if not isinstance(conditions, Mapping):
                raise ConditionError(f"conditions: expected a mapping of column -> value, got {type(conditions).__name__}")
            keep = np.zeros(self.shape_, dtype=bool)
            index: list[Any] = [slice(None)] * len(columns)
            for col, value in conditions.items():
                if col not in columns:
                    raise ConditionError(f"cannot condition on {col!r}: it is not a column of the data; conditions "
                                         f"work on the discrete columns {columns}")
                code = self.transformer_.discrete_[col].code_of(value)
                if code is None:
                    raise ConditionError(unknown_value(self.transformer_.discrete_[col], col, value))
                index[columns.index(col)] = code
            keep[tuple(index)] = True
            p = np.where(keep, p, 0.0)
            if p.sum() <= 0:
                raise ConditionError(f"no series has {dict(conditions)} in the model's noisy count table")
        flat = p.ravel() / p.sum()
        rng = np.random.default_rng(random_state if random_state is not None else self.random_state)
        cells = rng.choice(flat.size, size=n, p=flat)
        codes = np.stack(np.unravel_index(cells, self.shape_), 1).astype(np.int64) if n else \
            np.zeros((0, len(columns)), np.int64)
        return self.transformer_.inverse_transform(Encoded(np.zeros((n, 0), np.float32), codes), rng)

    def dense(self, table: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        """The rows of ``table`` one-hot encoded, as a generator is conditioned on them."""
        t = self.transformer_
        return t.transform(table[t.schema_.names], rng).dense(t.layout_)

    # ---------------------------------------------------------- persistence
    def save(self, directory: str | Path) -> Path:
        """Write ``directory/histogram.json`` (the caller writes the folder atomically)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / FILE).write_text(json.dumps({
            "format": FORMAT, "privacy": self.privacy, "random_state": self.random_state,
            "transformer": self.transformer_.to_state(), "shape": list(self.shape_),
            "probabilities": self.probabilities_.tolist(), "privacy_spent": self.privacy_spent_},
            indent=1, default=str) + "\n")
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> "DiscreteHistogram":
        path = Path(directory) / FILE
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            if state.get("format") != FORMAT:
                raise ModelFileError(f"{path}: format {state.get('format')!r}, expected {FORMAT!r}")
            h = cls(state["privacy"], state["random_state"])
            h.transformer_ = TableTransformer.from_state(state["transformer"])
            h.schema_ = h.transformer_.schema_
            h.shape_ = tuple(int(k) for k in state["shape"])
            h.probabilities_ = np.asarray(state["probabilities"], dtype=np.float64)
            h.privacy_spent_ = state["privacy_spent"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ModelFileError(f"{path}: not a readable noisy count table ({e})") from None
        if h.probabilities_.size != int(np.prod(h.shape_)):
            raise ModelFileError(f"{path}: {h.probabilities_.size} probabilities for a table of shape {h.shape_}")
        return h
