"""Training-by-sampling over discrete columns, as index arithmetic (no Python loop over rows).

For training, a discrete column is drawn uniformly, then one of its levels with probability
proportional to log(1 + frequency) (so rare levels are seen), then a real row holding that level.
Other discrete columns of the same row join the condition at random, so the generator also
learns joint conditions such as {"sex": "Female", "income": ">50K"}.

For sampling, free rows are conditioned the same way on the discrete values of real rows drawn
uniformly (``condition_rows``): the generator then sees the conditions it was trained with, and
the mixture over real rows gives the real joint of the discrete columns, null rates and rare levels
included. Only discrete values are taken from real rows; every number is generated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _cumulative(probs: list[np.ndarray], max_k: int) -> np.ndarray:
    """Rows of cumulative probabilities, padded with 1.0 to ``max_k`` (so padding is never drawn)."""
    out = np.ones((len(probs), max_k))
    for j, p in enumerate(probs):
        out[j, : len(p)] = np.cumsum(p / p.sum())
    return out


def _draw_levels(cum: np.ndarray, cols: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    u = rng.random(len(cols))[:, None]
    return np.minimum((u > cum[cols]).sum(axis=1), cum.shape[1] - 1)


@dataclass
class ConditionSampler:
    """Draws conditions (and, in training, matching real rows) for ``n_cond`` discrete columns.

    ``freqs[j]`` are the real frequencies of column j's codes; ``cond_dim = sizes.sum()``.
    """

    sizes: np.ndarray
    freqs: list[np.ndarray]
    extra_prob: float = 0.5
    condition_rows: np.ndarray | None = None    # (m, n_cond) codes of real rows, for sampling

    def __post_init__(self) -> None:
        self.sizes = np.asarray(self.sizes, dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        max_k = int(self.sizes.max()) if len(self.sizes) else 1
        self._freq_cum = _cumulative([np.asarray(f, float) for f in self.freqs], max_k)
        self._rows: np.ndarray | None = None

    @property
    def n_cond(self) -> int:
        return len(self.sizes)

    @property
    def cond_dim(self) -> int:
        return int(self.sizes.sum())

    def index_rows(self, codes: np.ndarray) -> None:
        """Index the training rows by (column, level): codes is (n, n_cond) int64."""
        n = len(codes)
        max_k = self._freq_cum.shape[1]
        order = np.argsort(codes + (np.arange(self.n_cond) * max_k)[None, :], axis=0, kind="stable")
        self._rows = order.T.copy()  # (n_cond, n): rows sorted by level within each column
        counts = np.zeros((self.n_cond, max_k), dtype=np.int64)
        for j in range(self.n_cond):  # loop over columns, not rows
            counts[j, : self.sizes[j]] = np.bincount(codes[:, j], minlength=self.sizes[j])
        self._counts = counts
        self._train_cum = _cumulative([np.log1p(counts[j, : self.sizes[j]]) for j in range(self.n_cond)], max_k)
        self._starts = np.cumsum(counts, axis=1) - counts
        self._n = n

    def sample_train(self, batch: int, rng: np.random.Generator, codes: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows (B,), condition codes (B, n_cond), mask (B, n_cond) bool) for one training batch."""
        if self._rows is None:
            raise RuntimeError("index_rows must be called before sample_train")
        if self.n_cond == 0:
            rows = rng.integers(self._n, size=batch)
            return rows, np.zeros((batch, 0), np.int64), np.zeros((batch, 0), bool)
        cols = rng.integers(self.n_cond, size=batch)
        levels = _draw_levels(self._train_cum, cols, rng)
        pick = np.floor(rng.random(batch) * self._counts[cols, levels]).astype(np.int64)
        rows = self._rows[cols, self._starts[cols, levels] + pick]
        # Each row joins a random share (0 to extra_prob) of its other discrete columns to the condition.
        share = rng.random((batch, 1)) * self.extra_prob
        mask = rng.random((batch, self.n_cond)) < share
        mask[np.arange(batch), cols] = True
        return rows, codes[rows], mask

    def _training_mask(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """One column at random plus a random share (0 to extra_prob) of the others, as in training."""
        share = rng.random((n, 1)) * self.extra_prob
        mask = rng.random((n, self.n_cond)) < share
        mask[np.arange(n), rng.integers(self.n_cond, size=n)] = True
        return mask

    def sample_free(self, n: int, rng: np.random.Generator, fixed: dict[int, int] | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
        """Conditions (codes (n, n_cond), mask (n, n_cond)) for sampling, holding ``fixed`` (column
        index -> code) in every row.

        With ``condition_rows``: the discrete values of real rows drawn uniformly (among those
        that hold ``fixed``), under the training mask, plus ``fixed``. When no real row holds
        ``fixed``, or without stored rows: ``fixed`` alone, or for free rows one column at a level
        drawn at its real frequency.
        """
        fixed = fixed or {}
        codes = np.zeros((n, self.n_cond), np.int64)
        mask = np.zeros((n, self.n_cond), bool)
        if not self.n_cond:
            return codes, mask
        pool = self.condition_rows
        if pool is not None and len(pool) and fixed:
            cols, vals = list(fixed), list(fixed.values())
            pool = pool[np.all(pool[:, cols] == np.asarray(vals)[None, :], axis=1)]
        if pool is not None and len(pool):
            codes[:] = pool[rng.integers(len(pool), size=n)]
            mask = self._training_mask(n, rng)
        elif not fixed:
            cols = rng.integers(self.n_cond, size=n)
            codes[np.arange(n), cols] = _draw_levels(self._freq_cum, cols, rng)
            mask[np.arange(n), cols] = True
        for j, code in fixed.items():
            codes[:, j], mask[:, j] = code, True
        return codes, mask

    def vector(self, codes: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The condition vector (B, cond_dim) float32: the one-hot of each masked column's level."""
        out = np.zeros((len(codes), self.cond_dim), dtype=np.float32)
        rows = np.arange(len(codes))[:, None]
        out[rows, self.offsets[None, :] + codes] = mask.astype(np.float32)
        return out
