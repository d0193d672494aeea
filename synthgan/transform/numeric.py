"""Mode-specific normalisation of a numeric column (as in CTGAN), fitted fast.

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
