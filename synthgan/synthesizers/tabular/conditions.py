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
    primary: np.ndarray | None = None           # columns a training condition starts from (None: all)

    def __post_init__(self) -> None:
        self.sizes = np.asarray(self.sizes, dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        max_k = int(self.sizes.max()) if len(self.sizes) else 1
        self._freq_cum = _cumulative([np.asarray(f, float) for f in self.freqs], max_k)
        self._rows: np.ndarray | None = None
        self._primary = (np.arange(self.n_cond) if self.primary is None or not len(self.primary)
                         else np.asarray(self.primary, dtype=np.int64))

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
        cols = self._primary[rng.integers(len(self._primary), size=batch)]
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
        mask[np.arange(n), self._primary[rng.integers(len(self._primary), size=n)]] = True
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

    def sample_weighted(self, n: int, rng: np.random.Generator, weights: dict[int, np.ndarray]
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Conditions for ``n`` rows of one group: column j's code is drawn with probability
        proportional to ``weights[j]`` (a vector over its codes: one-hot for a value, the share
        inside a range for a numeric column's bins) times the real joint of the columns.

        With ``condition_rows``: real rows are drawn with weight the product of their codes'
        weights, and give every column's code (under the training mask, the weighted columns
        always in it). Without: each weighted column independently, at real frequency x weight.
        Raises ValueError when no real row (or code) has a positive weight.
        """
        codes = np.zeros((n, self.n_cond), np.int64)
        mask = np.zeros((n, self.n_cond), bool)
        if not self.n_cond:
            return codes, mask
        cols = list(weights)
        pool = self.condition_rows
        if pool is not None and len(pool):
            w = np.ones(len(pool))
            for j in cols:
                w *= np.asarray(weights[j], float)[pool[:, j]]
            total = w.sum()
            if not total > 0:
                raise ValueError("no real row holds this combination")
            codes[:] = pool[rng.choice(len(pool), size=n, p=w / total)] if n else codes
            mask = self._training_mask(n, rng)
        else:
            for j in cols:
                p = np.asarray(self.freqs[j], float) * np.asarray(weights[j], float)
                if not p.sum() > 0:
                    raise ValueError("no real value of this column meets the condition")
                codes[:, j] = rng.choice(len(p), size=n, p=p / p.sum())
            if not cols:
                return self.sample_free(n, rng)
        mask[:, cols] = True
        return codes, mask

    def sample_rows(self, fixed: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Conditions for rows that each hold their own codes: ``fixed`` (n, n_cond), -1 where a
        row leaves the column free. The other columns come from a real row holding the same
        fixed codes, drawn uniformly (rows with no such real row: their fixed codes alone), under
        the training mask; fixed columns are always in the mask. Vectorised: the real rows are
        sorted once per pattern of fixed columns, and matched by binary search."""
        fixed = np.asarray(fixed, dtype=np.int64)
        n = len(fixed)
        given = fixed >= 0
        codes = np.where(given, fixed, 0)
        mask = given.copy()
        pool = self.condition_rows
        if not self.n_cond or n == 0:
            return codes, mask
        drawn = np.zeros(n, dtype=bool)
        if pool is not None and len(pool):
            patterns, which = np.unique(given, axis=0, return_inverse=True)
            which = which.reshape(-1)
            for p, pattern in enumerate(patterns):          # loop over patterns of known columns, not rows
                rows = np.flatnonzero(which == p)
                cols = np.flatnonzero(pattern)
                if not len(cols):
                    codes[rows] = pool[rng.integers(len(pool), size=len(rows))]
                    drawn[rows] = True
                    continue
                key_pool, key_rows = _keys(pool[:, cols], fixed[rows][:, cols])
                order = np.argsort(key_pool, kind="stable")
                sorted_keys = key_pool[order]
                start = np.searchsorted(sorted_keys, key_rows, side="left")
                count = np.searchsorted(sorted_keys, key_rows, side="right") - start
                hit = count > 0
                pick = start[hit] + np.floor(rng.random(int(hit.sum())) * count[hit]).astype(np.int64)
                codes[rows[hit]] = pool[order[pick]]
                drawn[rows[hit]] = True
        if drawn.any():
            mask[drawn] = self._training_mask(int(drawn.sum()), rng)
        free = ~given.any(axis=1) & ~drawn                  # no pool, nothing fixed: as free sampling
        if free.any():
            c, m = self.sample_free(int(free.sum()), rng)
            codes[free], mask[free] = c, m
        codes = np.where(given, fixed, codes)
        return codes, mask | given


def _keys(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One integer per row of ``a`` and of ``b``, equal exactly when the rows are equal."""
    _, inverse = np.unique(np.concatenate([a, b]), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    return inverse[: len(a)], inverse[len(a):]
