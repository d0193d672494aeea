"""Sampling verbs of :class:`~synthgan.synthesizers.tabular.TabularGAN`: free rows, rows under
conditions (values, ranges, groups of rows), and rows with known cells filled in; every condition
met by construction, in batches of at most 8,192 rows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch

from synthgan.errors import ConditionError
from synthgan.synthesizers.base import torch_generator
from synthgan.synthesizers.tabular import row_conditions as rc
from synthgan.synthesizers.tabular.row_conditions import Condition
from synthgan.transform import constraints as rules
from synthgan.transform.table import Encoded

SAMPLE_CHUNK = 8192


class TabularSampling:
    """The sampling half of :class:`TabularGAN` (its fitted state: ``sampler_``, ``transformer_``,
    ``generator_``, ...)."""

    def sample(self, n: int, conditions: Mapping[str, Any] | None = None,
               random_state: int | None = None, id_offset: int = 0) -> pd.DataFrame:
        """Generate ``n`` rows with the real columns and dtypes.

        Parameters
        ----------
        n : int
            Number of rows (exactly this many are returned).
        conditions : mapping, optional
            Discrete column -> value. Every returned row holds these values; the other columns
            come from the conditional generator given them.
        random_state : int, optional
            Seed of this call; the same seed gives the same rows. Without one, successive calls
            continue one random stream seeded at fit.
        id_offset : int
            First value of regenerated identifier columns, so that several samples put together
            keep their identifiers unique.
        """
        parts = list(self.sample_batches(n, conditions, random_state, id_offset))
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]

    def sample_conditions(self, conditions: list[Condition], random_state: int | None = None,
                          id_offset: int = 0) -> pd.DataFrame:
        """Rows for several groups in one pass, in order: ``Condition(rows, values)`` each.

        ``values`` maps a column to a value (kept exactly) or, for a numeric or datetime column,
        a range ``(low, high)`` (bounds included; ``None`` for an open end). Every row meets its
        group's condition by construction; the other columns follow the real joint given it.
        An impossible combination (no real row holds it) raises :class:`ConditionError`.
        """
        parts = list(self.sample_conditions_batches(conditions, random_state, id_offset))
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]

    def sample_conditions_batches(self, conditions: list[Condition], random_state: int | None = None,
                                  id_offset: int = 0) -> Iterator[pd.DataFrame]:
        """The rows of :meth:`sample_conditions` as consecutive frames of at most 8,192 rows."""
        self._check_fitted()
        if isinstance(conditions, Condition) or not isinstance(conditions, (list, tuple)):
            raise ConditionError(f"conditions: expected a list of Condition, got {type(conditions).__name__}")
        for i, c in enumerate(conditions):
            if not isinstance(c, Condition):
                raise ConditionError(f"conditions[{i}]: expected a Condition(rows, values), got {type(c).__name__}")
        plans = []
        for i, c in enumerate(conditions):      # every group is checked before any row is generated
            try:
                plans.append(rc.plan(self, c.values))
            except ConditionError as e:
                raise ConditionError(f"conditions[{i}]: {e}") from None
        seq = self._sample_stream(random_state)
        return self._plan_batches(list(zip(conditions, plans)), seq, id_offset)

    def _plan_batches(self, groups, seq, id_offset: int) -> Iterator[pd.DataFrame]:
        np_rng, torch_rng = np.random.default_rng(seq), torch_generator(seq, self.device_)
        total = sum(c.rows for c, _ in groups)
        if total == 0:
            yield self._constrain(self._decode_rows(*self._draw_group(rc.Plan(), 0, np_rng, rc.describe({})), np_rng,
                                                    torch_rng, id_offset))
            return
        done = 0
        for cond, p in groups:
            for i in range(0, cond.rows, SAMPLE_CHUNK):
                m = min(SAMPLE_CHUNK, cond.rows - i)
                out = self._decode_rows(*self._draw_group(p, m, np_rng, rc.describe(cond.values)), np_rng, torch_rng,
                                        id_offset + done)
                done += m
                yield self._constrain(_holding(out, p.exact))

    def _draw_group(self, p, m: int, np_rng, what: str):
        try:
            codes, mask = self.sampler_.sample_weighted(m, np_rng, p.weights)
        except ValueError:
            raise ConditionError(f"no real row has {what}: the combination was never seen in the training rows "
                                 "kept with the model") from None
        keep = np.zeros_like(mask)
        keep[:, list(p.weights)] = True
        limits = {c: (np.full(m, lo), np.full(m, hi)) for c, (lo, hi) in p.limits.items()}
        return codes, mask, keep, limits

    def sample_remaining(self, known: pd.DataFrame, random_state: int | None = None,
                         id_offset: int = 0) -> pd.DataFrame:
        """One row per row of ``known``, in its order and with its index: the known (non-null)
        cells kept exactly, the null cells generated conditionally on the row's known values
        (discrete ones through the condition vector, numeric ones through their value bins).
        Generated ids count from ``id_offset``."""
        self._check_fitted()
        if not isinstance(known, pd.DataFrame):
            raise ConditionError(f"known: expected a pandas DataFrame, got {type(known).__name__}")
        seq = self._sample_stream(random_state)
        np_rng, torch_rng = np.random.default_rng(seq), torch_generator(seq, self.device_)
        fixed, given = rc.known_codes(self, known, np_rng)
        parts = []
        for i in range(0, max(len(known), 1), SAMPLE_CHUNK):
            rows = slice(i, min(i + SAMPLE_CHUNK, len(known)))
            codes, mask = self.sampler_.sample_rows(fixed[rows], np_rng)
            out = self._decode_rows(codes, mask, fixed[rows] >= 0, {}, np_rng, torch_rng, id_offset + i)
            for col, present in given.items():
                if present[rows].any():
                    out[col] = _keep_known(out[col], known[col].iloc[rows], present[rows])
            parts.append(self._constrain(out))
        out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        out.index = known.index
        return out

    def sample_batches(self, n: int, conditions: Mapping[str, Any] | None = None,
                       random_state: int | None = None, id_offset: int = 0) -> Iterator[pd.DataFrame]:
        """The rows of :meth:`sample` (same arguments, same rows) as consecutive frames of at most
        8,192 rows, so that a caller can write them out without holding all ``n`` rows."""
        self._check_fitted()
        self._check_count(n)
        combined = {col for c in self.combinations() for col in c.columns}
        if isinstance(conditions, Mapping) and any(rc.is_range(v) or c in self.transformer_.numeric_ or c in combined
                                                   for c, v in conditions.items()):
            return self.sample_conditions_batches([Condition(n, dict(conditions))], random_state, id_offset)
        conditions = self._via_sources(conditions or {})
        fixed = self._condition_codes(conditions)
        seq = self._sample_stream(random_state)
        return self._batches(n, conditions, fixed, seq, id_offset)

    def _batches(self, n: int, conditions: dict, fixed: dict[int, int], seq, id_offset: int) -> Iterator[pd.DataFrame]:
        np_rng, torch_rng = np.random.default_rng(seq), torch_generator(seq, self.device_)
        for i in range(0, max(n, 1), SAMPLE_CHUNK):
            out = self._sample_chunk(min(SAMPLE_CHUNK, n - i), fixed, np_rng, torch_rng, id_offset + i)
            yield self._constrain(_holding(out, conditions))

    def _sample_chunk(self, n: int, fixed: dict[int, int], np_rng, torch_rng, id_start: int) -> pd.DataFrame:
        codes, mask = self.sampler_.sample_free(n, np_rng, fixed)
        keep = np.zeros_like(mask)
        keep[:, list(fixed)] = True
        return self._decode_rows(codes, mask, keep, {}, np_rng, torch_rng, id_start)

    @torch.no_grad()
    def _decode_rows(self, codes: np.ndarray, mask: np.ndarray, keep: np.ndarray, limits: dict,
                     np_rng, torch_rng, id_start: int) -> pd.DataFrame:
        """Rows generated under condition codes (n, n_cond) and mask; the spans where ``keep``
        is True hold exactly their code; ``limits`` bound binned numeric columns per row."""
        n = len(codes)
        cond = torch.as_tensor(self.sampler_.vector(codes, mask), device=self.device_)
        noise = torch.randn((n, self.settings_.noise_dim), generator=torch_rng, device=self.device_)
        raw = self.generator_(noise, cond).float() if n else torch.zeros((0, self._ops.dim), device=self.device_)
        alphas, span_codes = self._ops.decode(raw, torch_rng)
        span_codes = span_codes.cpu().numpy()
        layout = self.transformer_.layout_
        limits = dict(limits)
        for j in np.flatnonzero(keep.any(axis=0)):    # the conditioned spans hold exactly the condition
            rows = keep[:, j]
            span_codes[rows, layout.cond_spans[j]] = codes[rows, j]
            if layout.cond_binned[j]:                 # and a numeric column's value stays in its bin
                col = layout.cond_columns[j]
                lo, hi = limits.get(col, (np.full(n, np.nan), np.full(n, np.nan)))
                limits[col] = (np.where(rows & np.isnan(lo), -np.inf, lo), np.where(rows & np.isnan(hi), np.inf, hi))
        out = self.transformer_.inverse_transform(Encoded(alphas.cpu().numpy(), span_codes), np_rng, id_start,
                                                  limits)
        if self.constraints_:
            out = rules.split(self.combinations(), out, self.schema_)
        return self._derive(out)

    def typed_value(self, column: str, text: str) -> Any:
        """A condition value given as text (CLI, YAML), matched to the type of the column's real levels."""
        self._check_fitted()
        enc = self.transformer_.discrete_.get(column)
        for v in (enc.levels + enc.rare_values) if enc is not None else []:
            if str(v) == str(text):
                return v
        return text

    def _via_sources(self, conditions: Mapping[str, Any]) -> dict[str, Any]:
        """A condition on a derived column becomes one on its source (one-to-one pairings only)."""
        if not isinstance(conditions, Mapping):
            raise ConditionError(f"conditions: expected a mapping of column -> value, got {type(conditions).__name__}")
        out = dict(conditions)
        for d in self.dependencies_:
            if d.target not in out:
                continue
            value = out.pop(d.target)
            source = d.source_value_of(value) if d.one_to_one else None
            if source is None:
                raise ConditionError(f"cannot condition on {d.target!r} = {value!r}: {d.target!r} is derived from "
                                     f"{d.source!r}; condition on {d.source!r} instead")
            if d.source in out and out[d.source] != source:
                raise ConditionError(f"conditions {d.source!r} = {out[d.source]!r} and {d.target!r} = {value!r} "
                                     "contradict each other in the real data")
            out[d.source] = source
        return out

    def _condition_codes(self, conditions: Mapping[str, Any]) -> dict[int, int]:
        if not isinstance(conditions, Mapping):
            raise ConditionError(f"conditions: expected a mapping of column -> value, got {type(conditions).__name__}")
        discrete = list(self.transformer_.layout_.discrete_columns)
        fixed = {}
        for col, value in conditions.items():
            if col not in discrete:
                kind = next((c.kind.value for c in self.schema_.columns if c.name == col), None)
                why = f"it is {kind}" if kind else "it is not a column of the data"
                raise ConditionError(f"cannot condition on {col!r}: {why}; conditions work on the discrete "
                                     f"columns {discrete}")
            code = self.transformer_.discrete_[col].code_of(value)
            if code is None:
                raise ConditionError(rc.unknown_value(self.transformer_.discrete_[col], col, value))
            fixed[rc.cond_index(self.transformer_.layout_)[(col, False)]] = code
        return fixed



def _holding(out: pd.DataFrame, values: Mapping[str, Any]) -> pd.DataFrame:
    """``out`` with each column of ``values`` holding its value in every row, in the column's dtype."""
    for col, value in values.items():
        out[col] = pd.Series([value] * len(out), dtype=object).astype(out[col].dtype)
    return out


def _keep_known(generated: pd.Series, known: pd.Series, present: np.ndarray) -> pd.Series:
    """``generated`` with the known cells put back exactly, in the generated column's dtype when
    it can hold them, else in the known column's."""
    values = known.reset_index(drop=True)
    out = generated.copy()
    try:
        out[present] = values[present].astype(generated.dtype).to_numpy()
        return out
    except (TypeError, ValueError):
        merged = generated.astype(object)
        merged[present] = values[present].to_numpy()
        return merged
