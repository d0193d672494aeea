"""Numeric columns for a GAN: point masses, a quantile map and mode-specific normalisation.

Values that repeat far more often than their neighbours (zeros, round values, top-codes) become
modes of their own and are decoded exactly (:func:`find_point_masses`); the continuous remainder
is mapped through its empirical CDF to normal scores (:class:`QuantileMap`), which tames long
tails, and then normalised per mode as in CTGAN (:class:`ModeNormalizer`).

A variational (Dirichlet-process) Gaussian mixture is fitted on a subsample; each value is then
encoded as the index of a mode drawn from its posterior and a scalar ``alpha`` in (-1, 1): its
distance to that mode's mean in units of four standard deviations. Encoding and decoding are
vectorised numpy; the fitted state is three small arrays, saved as JSON.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

_MIN_STD = 1e-6
_CLIP = 0.99


@dataclass
class ModeNormalizer:
    """Fitted mixture of one column: component means, standard deviations and weights."""

    means: np.ndarray
    stds: np.ndarray
    weights: np.ndarray

    @property
    def n_modes(self) -> int:
        return len(self.means)

    @classmethod
    def fit(cls, values: np.ndarray, rng: np.random.Generator, max_modes: int = 10,
            max_samples: int = 5000, min_weight: float = 0.005) -> "ModeNormalizer":
        """Fit on the non-null ``values`` (1-D float array); at most ``max_samples`` are used."""
        full = np.asarray(values, dtype=np.float64)
        values = rng.choice(full, size=max_samples, replace=False) if len(full) > max_samples else full
        scale = float(np.std(values)) or 1.0
        uniq = np.unique(values)
        if len(uniq) <= 1:
            return cls(np.array([float(values[0])]), np.array([_MIN_STD * scale]), np.array([1.0]))
        n_comp = int(min(max_modes, len(uniq)))
        from sklearn.exceptions import ConvergenceWarning    # here: sampling processes need no sklearn
        from sklearn.mixture import BayesianGaussianMixture
        gm = BayesianGaussianMixture(
            n_components=n_comp, weight_concentration_prior_type="dirichlet_process",
            weight_concentration_prior=1e-3, max_iter=100, n_init=1, tol=1e-3,
            random_state=int(rng.integers(2**31 - 1)),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gm.fit(values.reshape(-1, 1))
        keep = gm.weights_ > min_weight
        means = gm.means_.reshape(-1)[keep]
        stds = np.sqrt(gm.covariances_.reshape(-1))[keep]
        weights = gm.weights_[keep] / gm.weights_[keep].sum()
        return cls(means, np.maximum(stds, _MIN_STD * scale), weights)._cover(full)

    def _cover(self, values: np.ndarray) -> "ModeNormalizer":
        """Add one mode for the values no mode can represent (tails the subsample missed)."""
        z = np.abs(values[:, None] - self.means[None, :]) / (4.0 * self.stds[None, :])
        outside = values[z.min(axis=1) > _CLIP]
        if len(outside) == 0:
            return self
        mean = float(np.median(outside))
        std = max(float(np.abs(outside - mean).max()) / (4.0 * _CLIP * 0.999), _MIN_STD)
        w = max(len(outside) / len(values), 1e-4)
        return ModeNormalizer(np.append(self.means, mean), np.append(self.stds, std),
                              np.append(self.weights * (1 - w), w))

    def log_posterior(self, values: np.ndarray) -> np.ndarray:
        """Unnormalised log posterior of each mode, shape (n, n_modes)."""
        z = (values[:, None] - self.means[None, :]) / self.stds[None, :]
        return np.log(self.weights)[None, :] - np.log(self.stds)[None, :] - 0.5 * z * z

    def transform(self, values: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Encode values as (alpha float32 (n,), mode int64 (n,)); the mode is drawn from its posterior."""
        values = np.asarray(values, dtype=np.float64)
        logp = self.log_posterior(values)
        # Only modes that can represent the value without clipping alpha; if none can, the nearest.
        z = np.abs(values[:, None] - self.means[None, :]) / (4.0 * self.stds[None, :])
        fits = z <= _CLIP
        nearest = np.argmin(z, axis=1)
        fits[np.arange(len(values)), nearest] |= ~fits.any(axis=1)
        logp = np.where(fits, logp, -np.inf)
        gumbel = -np.log(-np.log(rng.uniform(1e-12, 1.0, size=logp.shape)))
        mode = np.argmax(logp + gumbel, axis=1)
        alpha = (values - self.means[mode]) / (4.0 * self.stds[mode])
        return np.clip(alpha, -_CLIP, _CLIP).astype(np.float32), mode.astype(np.int64)

    def inverse(self, alpha: np.ndarray, mode: np.ndarray) -> np.ndarray:
        """Decode (alpha, mode) back to float64 values."""
        alpha = np.clip(np.asarray(alpha, dtype=np.float64), -1.0, 1.0)
        return alpha * 4.0 * self.stds[mode] + self.means[mode]

    def to_state(self) -> dict:
        return {"means": self.means.tolist(), "stds": self.stds.tolist(), "weights": self.weights.tolist()}

    @classmethod
    def from_state(cls, state: dict) -> "ModeNormalizer":
        return cls(*(np.asarray(state[k], dtype=np.float64) for k in ("means", "stds", "weights")))


def find_point_masses(values: np.ndarray, min_share: float = 0.002, min_count: int = 10, ratio: float = 5.0,
                      max_masses: int = 20, max_unique: int = 10) -> np.ndarray:
    """Values that repeat far more often than their neighbours: spikes such as zeros, round
    values (40 hours) and top-codes (99,999). Returned sorted.

    A value is a spike when it holds at least ``max(min_count, min_share * n)`` rows and at least
    ``ratio`` times (and three Poisson standard deviations above) the median count of its nearest
    distinct values, two on each side. A column with at most ``max_unique`` distinct values is all
    spikes: interpolating between its few values would invent values the data never has.
    """
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return np.zeros(0)
    uniq, counts = np.unique(values, return_counts=True)
    if len(uniq) <= max_unique:
        return uniq
    cand = np.flatnonzero(counts >= max(min_count, min_share * len(values)))
    spikes = []
    for i in cand:                                   # candidates are few (each holds >= min_share of rows)
        neigh = np.r_[counts[max(0, i - 2):i], counts[i + 1:i + 3]]
        base = float(np.median(neigh)) if len(neigh) else 0.0
        if counts[i] >= ratio * max(base, 1.0) and counts[i] - base > 3.0 * np.sqrt(base + 1.0):
            spikes.append(i)
    spikes = sorted(spikes, key=lambda i: -counts[i])[:max_masses]
    return np.sort(uniq[spikes])


@dataclass
class QuantileMap:
    """The empirical CDF of a column as knots (value, level), mapped to normal scores.

    Long tails and skew become a standard normal shape the mixture and the generator's ``tanh``
    handle well; decoding interpolates between real knots, so values stay inside the real range.
    """

    knots: np.ndarray      # strictly increasing values
    levels: np.ndarray     # their CDF levels in (0, 1), strictly increasing

    @classmethod
    def fit(cls, values: np.ndarray, n_knots: int = 1000) -> "QuantileMap":
        values = np.sort(np.asarray(values, dtype=np.float64))
        n = len(values)
        q = np.linspace(0.0, 1.0, min(n_knots, n))
        knots = np.quantile(values, q)
        # Ties (integers, repeated values) share one knot at their mean level.
        uniq, inv = np.unique(knots, return_inverse=True)
        levels = np.bincount(inv, weights=q) / np.bincount(inv)
        # Keep the levels inside (0, 1): the extremes map to finite scores of about +/-Phi^-1(1 - 1/2n).
        eps = 0.5 / n
        return cls(uniq, eps + levels * (1.0 - 2.0 * eps))

    def to_normal(self, values: np.ndarray) -> np.ndarray:
        from scipy.special import ndtri
        if len(self.knots) == 1:
            return np.zeros(len(values))
        return ndtri(np.interp(values, self.knots, self.levels))

    def from_normal(self, z: np.ndarray, extrapolate: bool = False) -> np.ndarray:
        """Values of normal scores ``z``; beyond the outer knots either the outer knot or, with
        ``extrapolate``, a straight line through the last two knots (in score space)."""
        from scipy.special import ndtr, ndtri
        if len(self.knots) == 1:
            return np.full(len(z), self.knots[0])
        out = np.interp(ndtr(z), self.levels, self.knots)
        if extrapolate:
            zk = ndtri(self.levels[[0, 1, -2, -1]])
            lo, hi = z < zk[0], z > zk[3]
            out[lo] = self.knots[0] + (z[lo] - zk[0]) * (self.knots[1] - self.knots[0]) / (zk[1] - zk[0])
            out[hi] = self.knots[-1] + (z[hi] - zk[3]) * (self.knots[-1] - self.knots[-2]) / (zk[3] - zk[2])
        return out

    def to_state(self) -> dict:
        return {"knots": self.knots.tolist(), "levels": self.levels.tolist()}

    @classmethod
    def from_state(cls, state: dict) -> "QuantileMap":
        return cls(np.asarray(state["knots"], dtype=np.float64), np.asarray(state["levels"], dtype=np.float64))


@dataclass
class NumericEncoder:
    """One numeric column as (alpha, mode): point masses are modes of their own, decoded exactly;
    the continuous remainder goes through an optional :class:`QuantileMap` and a :class:`ModeNormalizer`.

    Modes ``0 .. mixture.n_modes - 1`` are the mixture's; the next ``len(masses)`` are the masses
    (their alpha is 0 and ignored). Decoded continuous values stay within the remainder's range,
    so no mode puts mass where the real data has none.
    """

    masses: np.ndarray
    mixture: ModeNormalizer | None
    quantiles: QuantileMap | None
    low: float
    high: float

    @property
    def n_modes(self) -> int:
        return (self.mixture.n_modes if self.mixture is not None else 0) + len(self.masses)

    @classmethod
    def fit(cls, values: np.ndarray, rng: np.random.Generator, max_modes: int = 10, max_samples: int = 5000,
            masses: np.ndarray | None = None, quantile: bool = True) -> "NumericEncoder":
        """Fit on the non-null ``values``; ``masses`` overrides the detected spikes (empty: none)."""
        values = np.asarray(values, dtype=np.float64)
        masses = find_point_masses(values) if masses is None else np.unique(np.asarray(masses, dtype=np.float64))
        rest = values[~np.isin(values, masses)]
        if len(rest) == 0:
            return cls(masses, None, None, float("nan"), float("nan"))
        qmap = QuantileMap.fit(rest) if quantile else None
        scores = qmap.to_normal(rest) if qmap is not None else rest
        mixture = ModeNormalizer.fit(scores, rng, max_modes, max_samples)
        return cls(masses, mixture, qmap, float(rest.min()), float(rest.max()))

    def transform(self, values: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(alpha float32 (n,), mode int64 (n,))."""
        values = np.asarray(values, dtype=np.float64)
        alpha = np.zeros(len(values), dtype=np.float32)
        mode = np.zeros(len(values), dtype=np.int64)
        n_mix = self.mixture.n_modes if self.mixture is not None else 0
        is_mass = np.zeros(len(values), dtype=bool)
        if len(self.masses):
            pos = np.clip(np.searchsorted(self.masses, values), 0, len(self.masses) - 1)
            is_mass = self.masses[pos] == values
            mode[is_mass] = n_mix + pos[is_mass]
        if self.mixture is None:   # only masses: a value between them goes to the nearest one
            near = np.abs(values[~is_mass, None] - self.masses[None, :]).argmin(axis=1)
            mode[~is_mass] = near
            return alpha, mode
        rest = np.clip(values[~is_mass], self.low, self.high)
        scores = self.quantiles.to_normal(rest) if self.quantiles is not None else rest
        alpha[~is_mass], mode[~is_mass] = self.mixture.transform(scores, rng)
        return alpha, mode

    def inverse(self, alpha: np.ndarray, mode: np.ndarray, clip: bool = True) -> np.ndarray:
        """Decode (alpha, mode) to float64 values; ``clip=False`` lets the continuous part
        extrapolate beyond the real range."""
        mode = np.asarray(mode)
        out = np.empty(len(mode), dtype=np.float64)
        n_mix = self.mixture.n_modes if self.mixture is not None else 0
        cont = mode < n_mix
        if cont.any():
            scores = self.mixture.inverse(np.asarray(alpha)[cont], mode[cont])
            v = self.quantiles.from_normal(scores, extrapolate=not clip) if self.quantiles is not None else scores
            out[cont] = np.clip(v, self.low, self.high) if clip else v
        out[~cont] = self.masses[mode[~cont] - n_mix]
        return out

    def to_state(self) -> dict:
        bounded = self.mixture is not None
        return {"masses": self.masses.tolist(), "low": self.low if bounded else None,
                "high": self.high if bounded else None,
                "mixture": self.mixture.to_state() if self.mixture is not None else None,
                "quantiles": self.quantiles.to_state() if self.quantiles is not None else None}

    @classmethod
    def from_state(cls, state: dict) -> "NumericEncoder":
        if "means" in state:          # a model saved before point masses: a bare mixture
            mix = ModeNormalizer.from_state(state)
            return cls(np.zeros(0), mix, None, -np.inf, np.inf)
        mix, q = state.get("mixture"), state.get("quantiles")
        return cls(np.asarray(state["masses"], dtype=np.float64),
                   ModeNormalizer.from_state(mix) if mix is not None else None,
                   QuantileMap.from_state(q) if q is not None else None,
                   float(state["low"]) if state["low"] is not None else float("nan"),
                   float(state["high"]) if state["high"] is not None else float("nan"))


@dataclass
class ValueBins:
    """A numeric column seen as a discrete one, so that the generator can be conditioned on it:
    ``k`` equal-frequency bins of the continuous values (``edges``, k + 1 of them) and then one
    bin per point mass. A value conditioned on its bin is drawn or kept inside the bin, and a
    range condition becomes a choice of bins weighted by the real mass inside the range.

    Bin ``b < k`` holds ``edges[b] <= v < edges[b + 1]`` (the last one closed); bin ``k + i`` the
    mass ``masses[i]``. ``freqs`` are the real frequencies of the bins; ``quantiles`` the CDF of
    the continuous values, used to draw within an interval at the real density.
    """

    edges: np.ndarray
    masses: np.ndarray
    freqs: np.ndarray
    quantiles: QuantileMap | None

    @property
    def k(self) -> int:
        return max(len(self.edges) - 1, 0)

    @property
    def n_codes(self) -> int:
        return self.k + len(self.masses)

    @classmethod
    def fit(cls, values: np.ndarray, masses: np.ndarray, n_bins: int) -> "ValueBins":
        values = np.asarray(values, dtype=np.float64)
        rest = values[~np.isin(values, masses)]
        if len(rest):
            edges = np.unique(np.quantile(rest, np.linspace(0.0, 1.0, n_bins + 1)))
            edges = edges if len(edges) > 1 else np.repeat(edges, 2)     # one value: one closed bin
            qmap = QuantileMap.fit(rest, n_knots=256)
        else:
            edges, qmap = np.zeros(0), None
        bins = cls(edges, np.asarray(masses, dtype=np.float64), np.zeros(0), qmap)
        bins.freqs = np.bincount(bins.codes(values), minlength=bins.n_codes) / max(len(values), 1)
        return bins

    def codes(self, values: np.ndarray) -> np.ndarray:
        """The bin of each value (int64); values outside the real range go to the nearest bin."""
        values = np.asarray(values, dtype=np.float64)
        out = np.zeros(len(values), dtype=np.int64)
        if self.k:
            out[:] = np.searchsorted(self.edges[1:-1], values, side="right")
        if len(self.masses):
            pos = np.clip(np.searchsorted(self.masses, values), 0, len(self.masses) - 1)
            hit = self.masses[pos] == values
            out[hit] = self.k + pos[hit]
            if not self.k:                          # masses only: the nearest one
                out[~hit] = self.k + np.abs(values[~hit, None] - self.masses[None, :]).argmin(axis=1)
        return out

    def bounds(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The (low, high) values of each bin code."""
        lo = np.concatenate([self.edges[:-1], self.masses]) if self.k else self.masses.copy()
        hi = np.concatenate([self.edges[1:], self.masses]) if self.k else self.masses.copy()
        return lo[codes], hi[codes]

    def _cdf(self, x: np.ndarray) -> np.ndarray:
        return np.interp(x, self.quantiles.knots, self.quantiles.levels)

    def share_within(self, low: float, high: float) -> np.ndarray:
        """For each bin, the share of its real values inside ``[low, high]`` (n_codes,)."""
        share = np.zeros(self.n_codes)
        if self.k:
            a, b = self.edges[:-1], self.edges[1:]
            lo, hi = np.maximum(a, low), np.minimum(b, high)
            width = self._cdf(b) - self._cdf(a)
            inside = np.clip(self._cdf(hi) - self._cdf(lo), 0.0, None)
            point = width <= 1e-12                      # a bin of one value
            frac = np.where(hi >= lo, inside / np.where(point, 1.0, width), 0.0)
            share[: self.k] = np.where(point, ((a >= low) & (a <= high)).astype(float), frac)
        share[self.k:] = ((self.masses >= low) & (self.masses <= high)).astype(float)
        return np.clip(share, 0.0, 1.0)

    def draw_within(self, low: np.ndarray, high: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One value per row inside ``[low, high]`` at the real density of the continuous values."""
        low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
        if self.quantiles is None:
            return low.copy()
        u = rng.uniform(self._cdf(low), np.maximum(self._cdf(high), self._cdf(low)))
        return np.clip(np.interp(u, self.quantiles.levels, self.quantiles.knots), low, high)

    def to_state(self) -> dict:
        return {"edges": self.edges.tolist(), "masses": self.masses.tolist(), "freqs": self.freqs.tolist(),
                "quantiles": self.quantiles.to_state() if self.quantiles is not None else None}

    @classmethod
    def from_state(cls, state: dict) -> "ValueBins":
        q = state.get("quantiles")
        return cls(np.asarray(state["edges"], dtype=np.float64), np.asarray(state["masses"], dtype=np.float64),
                   np.asarray(state["freqs"], dtype=np.float64), QuantileMap.from_state(q) if q else None)
