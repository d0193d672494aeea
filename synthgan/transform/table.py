"""The reversible encoding of a whole table into what a GAN reads and writes.

Each modelled column becomes one or more *spans* of the encoded row:

- numeric (continuous, integer, datetime): a ``tanh`` span (alpha), a ``softmax`` span (mode),
  when the column has nulls a 2-way ``softmax`` null indicator, and (``numeric_bins`` > 0) a
  ``softmax`` span of its value bin (:class:`~synthgan.transform.numeric.ValueBins`), which the
  generator can be conditioned on like a discrete column: decoded values stay inside their bin;
- discrete (categorical, boolean): one ``softmax`` span of its codes (nulls are a code).

Identifier columns are not learned: fresh unique identifiers are generated on output.
The encoded data is kept compact, as float32 alphas and int64 codes; the dense one-hot row is
built per batch (see :class:`Layout`), so memory grows with rows x columns, not rows x levels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synthgan.errors import SchemaError
from synthgan.schema import ColumnKind, Schema
from synthgan.transform.categorical import CategoryEncoder
from synthgan.transform.numeric import NumericEncoder, ValueBins
from synthgan.transform.values import as_float, fresh_ids, from_float, restore_dtype, time_step


@dataclass(frozen=True)
class Layout:
    """Positions of the spans in a dense encoded row of width ``dim``.

    ``tanh_pos`` (n_tanh,) are the columns of the alphas; softmax span ``j`` covers
    ``[soft_offsets[j], soft_offsets[j] + soft_sizes[j])``. ``cond_spans`` are the softmax spans
    of the discrete columns and the value bins of numeric ones (``cond_columns``, with
    ``cond_binned`` True for a numeric column's bins), which the generator can be conditioned on.
    """

    dim: int
    tanh_pos: np.ndarray
    soft_offsets: np.ndarray
    soft_sizes: np.ndarray
    cond_spans: np.ndarray
    cond_columns: tuple[str, ...]
    cond_binned: tuple[bool, ...]

    @property
    def discrete_columns(self) -> tuple[str, ...]:
        """The discrete columns among the conditions (without the numeric columns' bins)."""
        return tuple(c for c, b in zip(self.cond_columns, self.cond_binned) if not b)

    @property
    def cond_sizes(self) -> np.ndarray:
        return self.soft_sizes[self.cond_spans]

    @property
    def cond_dim(self) -> int:
        return int(self.cond_sizes.sum())

    def span_ids(self) -> np.ndarray:
        """For each dense column, the softmax span it belongs to, or -1 for a tanh column."""
        ids = np.full(self.dim, -1, dtype=np.int64)
        for j, (o, k) in enumerate(zip(self.soft_offsets, self.soft_sizes)):
            ids[o:o + k] = j
        return ids


@dataclass
class Encoded:
    """A table encoded compactly: alphas (n, n_tanh) float32 and codes (n, n_soft) int64."""

    alphas: np.ndarray
    codes: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)

    def dense(self, layout: Layout) -> np.ndarray:
        """The dense one-hot encoding, shape (n, layout.dim), float32."""
        out = np.zeros((len(self), layout.dim), dtype=np.float32)
        out[:, layout.tanh_pos] = self.alphas
        rows = np.arange(len(self))[:, None]
        out[rows, layout.soft_offsets[None, :] + self.codes] = 1.0
        return out


def span_argmax(dense: np.ndarray, layout: Layout) -> np.ndarray:
    """Per softmax span, the index of the largest entry: (n, n_soft) int64, no Python loop over rows."""
    max_k = int(layout.soft_sizes.max()) if len(layout.soft_sizes) else 0
    pad_col = dense.shape[1]
    idx = layout.soft_offsets[:, None] + np.arange(max_k)[None, :]
    idx = np.where(np.arange(max_k)[None, :] < layout.soft_sizes[:, None], idx, pad_col)
    ext = np.concatenate([dense, np.full((len(dense), 1), -np.inf, dtype=dense.dtype)], axis=1)
    return np.argmax(ext[:, idx], axis=2).astype(np.int64)


@dataclass
class NumericColumn:
    name: str
    kind: ColumnKind
    normalizer: NumericEncoder
    minimum: float
    maximum: float
    null_rate: float
    step: float = 0.0  # datetimes: the coarsest unit all real values are multiples of (seconds)
    bins: ValueBins | None = None


@dataclass
class TableTransformer:
    """Fit on a DataFrame and its Schema; encode to :class:`Encoded` and decode back.

    Parameters
    ----------
    max_categories : int
        One-hot levels kept per discrete column; rarer levels share one code.
    max_modes : int
        Upper bound on mixture modes per numeric column.
    gmm_samples : int
        Rows subsampled to fit each mixture.
    clip : bool
        Keep decoded numbers within the real minimum and maximum.
    point_masses : dict, optional
        Column -> the values to treat as point masses (decoded exactly), overriding detection for
        that column; an empty list turns them off. Other numeric columns detect their own.
    quantile : bool
        Map each numeric column's continuous part through its empirical CDF to normal scores
        before the mixture (long tails and skew); off: the mixture sees the raw values.
    numeric_bins : int
        Equal-frequency bins per numeric column (plus one per point mass), encoded as a span the
        generator can be conditioned on (numeric ranges and known values); 0: none.
    """

    max_categories: int = 100
    max_modes: int = 10
    gmm_samples: int = 5000
    clip: bool = True
    point_masses: dict[str, list[float]] | None = None
    quantile: bool = True
    numeric_bins: int = 0
    schema_: Schema | None = field(default=None, init=False)
    numeric_: dict[str, NumericColumn] = field(default_factory=dict, init=False)
    discrete_: dict[str, CategoryEncoder] = field(default_factory=dict, init=False)
    layout_: Layout | None = field(default=None, init=False)

    # ------------------------------------------------------------------ fit
    def fit(self, df: pd.DataFrame, schema: Schema, rng: np.random.Generator) -> "TableTransformer":
        missing = [c for c in schema.names if c not in df.columns]
        if missing:
            raise SchemaError(f"columns {missing} of the schema are not in the data")
        self.schema_ = schema
        overrides = dict(self.point_masses or {})
        unknown = sorted(set(overrides) - {c.name for c in schema.columns if c.kind.is_numeric})
        if unknown:
            raise SchemaError(f"point_masses: {unknown} are not numeric columns of the data")
        for spec in schema.columns:
            s = df[spec.name]
            if spec.kind.is_discrete:
                self.discrete_[spec.name] = CategoryEncoder.fit(s, self.max_categories)
            elif spec.kind.is_numeric:
                v = as_float(s, spec.kind)
                present = v[~np.isnan(v)]
                encoder = NumericEncoder.fit(present, rng, self.max_modes, self.gmm_samples,
                                             overrides.get(spec.name), self.quantile)
                self.numeric_[spec.name] = NumericColumn(
                    spec.name, spec.kind, encoder,
                    float(present.min()), float(present.max()), float(np.isnan(v).mean()),
                    time_step(present) if spec.kind is ColumnKind.DATETIME else 0.0,
                    ValueBins.fit(present, encoder.masses, self.numeric_bins) if self.numeric_bins else None)
        self.layout_ = self._build_layout()
        return self

    def _build_layout(self) -> Layout:
        tanh_pos, soft_off, soft_size, cond_spans, cond_cols, binned = [], [], [], [], [], []
        pos = 0
        for spec in self.modelled_columns():
            if spec.name in self.numeric_:
                col = self.numeric_[spec.name]
                tanh_pos.append(pos)
                soft_off.append(pos + 1)
                soft_size.append(col.normalizer.n_modes)
                pos += 1 + col.normalizer.n_modes
                if col.null_rate > 0:
                    soft_off.append(pos)
                    soft_size.append(2)
                    pos += 2
                if col.bins is not None:
                    cond_spans.append(len(soft_off))
                    cond_cols.append(spec.name)
                    binned.append(True)
                    soft_off.append(pos)
                    soft_size.append(col.bins.n_codes)
                    pos += col.bins.n_codes
            else:
                enc = self.discrete_[spec.name]
                cond_spans.append(len(soft_off))
                cond_cols.append(spec.name)
                binned.append(False)
                soft_off.append(pos)
                soft_size.append(enc.n_codes)
                pos += enc.n_codes
        as_int = lambda xs: np.asarray(xs, dtype=np.int64)  # noqa: E731
        return Layout(pos, as_int(tanh_pos), as_int(soft_off), as_int(soft_size), as_int(cond_spans),
                      tuple(cond_cols), tuple(binned))

    def cond_frequencies(self) -> list[np.ndarray]:
        """The real frequencies of the codes of each condition span, in layout order."""
        layout = self.layout_
        return [np.asarray(self.numeric_[c].bins.freqs if b else self.discrete_[c].frequencies, dtype=float)
                for c, b in zip(layout.cond_columns, layout.cond_binned)]

    def modelled_columns(self):
        return [c for c in self._schema().columns if c.kind is not ColumnKind.ID]

    def _schema(self) -> Schema:
        if self.schema_ is None:
            raise SchemaError("the transformer is not fitted")
        return self.schema_

    # ------------------------------------------------------------ transform
    def transform(self, df: pd.DataFrame, rng: np.random.Generator) -> Encoded:
        """Encode ``df`` (which must hold every schema column)."""
        alphas, codes = [], []
        for spec in self.modelled_columns():
            if spec.name not in df.columns:
                raise SchemaError(f"column {spec.name!r} is missing from the data to encode")
            s = df[spec.name]
            if spec.name in self.numeric_:
                col = self.numeric_[spec.name]
                v = as_float(s, spec.kind)
                nulls = np.isnan(v)
                if nulls.any():  # nulls get a plausible value; the null indicator carries them
                    v = v.copy()
                    v[nulls] = rng.choice(v[~nulls], size=int(nulls.sum())) if (~nulls).any() else col.minimum
                a, m = col.normalizer.transform(v, rng)
                alphas.append(a)
                codes.append(m)
                if col.null_rate > 0:
                    codes.append(nulls.astype(np.int64))
                if col.bins is not None:
                    codes.append(col.bins.codes(v))
            else:
                c = self.discrete_[spec.name].transform(s)
                unknown = c < 0
                if unknown.any():
                    bad = s[unknown].unique()[:5].tolist()
                    raise SchemaError(f"column {spec.name!r} holds values unseen in fit: {bad}")
                codes.append(c)
        n = len(df)
        stack = lambda xs, dt: np.stack(xs, axis=1).astype(dt) if xs else np.zeros((n, 0), dt)  # noqa: E731
        return Encoded(stack(alphas, np.float32), stack(codes, np.int64))

    # ---------------------------------------------------------------- inverse
    def inverse_transform(self, encoded: Encoded, rng: np.random.Generator, id_start: int = 0,
                          limits: dict[str, tuple[np.ndarray, np.ndarray]] | None = None) -> pd.DataFrame:
        """Decode to a DataFrame with the schema's columns, in order, with their dtypes.

        ``limits`` maps a binned numeric column to per-row (low, high) bounds (``-inf``/``inf``
        where open, NaN for a row not conditioned on the column): a conditioned row gets a value
        inside both its bin and the bounds (never null when a bound is finite); the other rows
        are decoded from their mode and alpha alone."""
        limits = limits or {}
        schema = self._schema()
        out: dict[str, pd.Series] = {}
        a_i = c_i = 0
        n = len(encoded)
        for spec in schema.columns:
            if spec.kind is ColumnKind.ID:
                out[spec.name] = fresh_ids(spec.dtype, n, id_start)
                continue
            if spec.name in self.numeric_:
                col = self.numeric_[spec.name]
                v = col.normalizer.inverse(encoded.alphas[:, a_i], encoded.codes[:, c_i], self.clip)
                a_i += 1
                c_i += 1
                if self.clip:
                    v = np.clip(v, col.minimum, col.maximum)
                null_code = None
                if col.null_rate > 0:
                    null_code = encoded.codes[:, c_i]
                    c_i += 1
                lim = limits.get(spec.name)
                if col.bins is not None:
                    if lim is not None:
                        v = _into_bins(v, col, encoded.codes[:, c_i], lim, rng)
                    c_i += 1
                v = _round(v, col)
                if lim is not None:              # rounding must not leave the asked range
                    lo, hi = (np.where(np.isnan(b), fill, b) for b, fill in zip(lim, (-np.inf, np.inf)))
                    v = np.clip(v, *_grid_bounds(lo, hi, col))
                if null_code is not None:
                    v = np.where((null_code == 1) & ~_limited(limits.get(spec.name), n), np.nan, v)
                out[spec.name] = from_float(v, spec.kind, spec.dtype)
            else:
                values = self.discrete_[spec.name].inverse(encoded.codes[:, c_i], rng)
                c_i += 1
                out[spec.name] = restore_dtype(pd.Series(values, dtype=object), spec.dtype)
        return pd.DataFrame(out, columns=schema.names)

    # ----------------------------------------------------------- persistence
    def to_state(self) -> dict:
        schema = self._schema()
        return {
            "config": {"max_categories": self.max_categories, "max_modes": self.max_modes,
                       "gmm_samples": self.gmm_samples, "clip": self.clip,
                       "point_masses": self.point_masses, "quantile": self.quantile,
                       "numeric_bins": self.numeric_bins},
            "schema": schema.to_dict(),
            "numeric": {n: {"kind": c.kind.value, "normalizer": c.normalizer.to_state(), "minimum": c.minimum,
                            "maximum": c.maximum, "null_rate": c.null_rate, "step": c.step,
                            "bins": c.bins.to_state() if c.bins is not None else None}
                        for n, c in self.numeric_.items()},
            "discrete": {n: e.to_state() for n, e in self.discrete_.items()},
        }

    @classmethod
    def from_state(cls, state: dict) -> "TableTransformer":
        config = dict(state["config"])
        config.setdefault("quantile", False)        # models saved before the quantile map had none
        t = cls(**config)
        t.schema_ = Schema.from_dict(state["schema"])
        t.numeric_ = {n: NumericColumn(n, ColumnKind(c["kind"]), NumericEncoder.from_state(c["normalizer"]),
                                        c["minimum"], c["maximum"], c["null_rate"], c.get("step", 0.0),
                                        ValueBins.from_state(c["bins"]) if c.get("bins") else None)
                      for n, c in state["numeric"].items()}
        t.discrete_ = {n: CategoryEncoder.from_state(e) for n, e in state["discrete"].items()}
        t.layout_ = t._build_layout()
        return t


def _round(v: np.ndarray, col: NumericColumn) -> np.ndarray:
    if col.step:
        return np.round(v / col.step) * col.step
    return np.round(v) if col.kind is not ColumnKind.CONTINUOUS else v


def grid_step(col: NumericColumn) -> float:
    """The spacing of the values the column holds: its time step, 1 for whole numbers, 0 when continuous."""
    return col.step or (1.0 if col.kind is not ColumnKind.CONTINUOUS else 0.0)


def _grid_bounds(low: np.ndarray, high: np.ndarray, col: NumericColumn) -> tuple[np.ndarray, np.ndarray]:
    """Bounds moved inward onto the values the column can hold (whole numbers, time steps)."""
    step = grid_step(col)
    if not step:
        return low, high
    with np.errstate(invalid="ignore"):
        return np.ceil(low / step - 1e-9) * step, np.floor(high / step + 1e-9) * step


def _limited(lim: tuple[np.ndarray, np.ndarray] | None, n: int) -> np.ndarray:
    """Rows with a finite bound (NaN, a row not conditioned, is not finite)."""
    if lim is None:
        return np.zeros(n, dtype=bool)
    return np.isfinite(lim[0]) | np.isfinite(lim[1])


def _into_bins(v: np.ndarray, col: NumericColumn, codes: np.ndarray,
               lim: tuple[np.ndarray, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """The conditioned rows' values (those whose ``lim`` is not NaN) kept inside their bin and
    ``lim``: a value outside is redrawn within at the real density; a point-mass bin gives its
    value exactly. Other rows are left as decoded."""
    bins = col.bins
    forced = ~np.isnan(lim[0])
    low, high = bins.bounds(codes)
    half = 0.5 * grid_step(col)
    # a whole-number range [30, 40] holds the values that round into it: [29.5, 40.5]
    with np.errstate(invalid="ignore"):
        low = np.where(forced, np.maximum(low, lim[0] - half), low)
        high = np.where(forced, np.minimum(high, lim[1] + half), high)
    high = np.maximum(high, low)
    out = np.where(forced & (codes >= bins.k), low, v)
    bad = forced & (codes < bins.k) & ((out < low) | (out > high))
    if bad.any():
        out[bad] = bins.draw_within(low[bad], high[bad], rng)
    return out
