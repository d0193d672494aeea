"""The tabular half of a GAN fit: real batches by training-by-sampling, activations, condition loss."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from synthgan.synthesizers.tabular.conditions import ConditionSampler
from synthgan.synthesizers.tabular.spans import SpanOps
from synthgan.train.loop import Batch
from synthgan.transform.table import Encoded


class TabularProblem:
    """Implements :class:`~synthgan.train.loop.GANProblem` for encoded tables.

    The encoded table stays compact on the device (alphas float32, codes int64); dense one-hot
    rows are built per batch.
    """

    def __init__(self, encoded: Encoded, cond_span_index: np.ndarray, ops: SpanOps, sampler: ConditionSampler,
                 batch_size: int, noise_dim: int, tau: float, np_rng: np.random.Generator,
                 torch_rng: torch.Generator) -> None:
        dev = ops.device
        self.ops, self.sampler, self.batch_size, self.noise_dim, self.tau = ops, sampler, batch_size, noise_dim, tau
        self.np_rng, self.rng = np_rng, torch_rng
        self.alphas = torch.as_tensor(encoded.alphas, device=dev)
        self.codes = torch.as_tensor(encoded.codes, device=dev)
        self.cond_codes_np = np.ascontiguousarray(encoded.codes[:, cond_span_index])
        sampler.index_rows(self.cond_codes_np)

    def noise(self, n: int) -> torch.Tensor:
        return torch.randn((n, self.noise_dim), generator=self.rng, device=self.ops.device)

    def real_batch(self) -> Batch:
        return self._batch(*self.sampler.sample_train(self.batch_size, self.np_rng, self.cond_codes_np))

    def _batch(self, rows: np.ndarray | None, codes: np.ndarray, mask: np.ndarray) -> Batch:
        """The real rows ``rows`` (none: an empty tensor) under condition codes and mask."""
        dev = self.ops.device
        if rows is None:
            real = torch.empty((0,), device=dev)
        else:
            idx = torch.as_tensor(rows, device=dev)
            real = self.ops.dense(self.alphas[idx], self.codes[idx])
        cond = torch.as_tensor(self.sampler.vector(codes, mask), device=dev)
        return Batch(real, cond, (torch.as_tensor(codes, device=dev), torch.as_tensor(mask, device=dev)))

    def generate(self, generator: nn.Module, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        raw = generator(self.noise(batch.cond.shape[0]), batch.cond)
        return self.ops.activate(raw, self.tau, self.rng), raw

    def generator_loss(self, raw: torch.Tensor, batch: Batch) -> torch.Tensor:
        codes, mask = batch.extra
        return self.ops.condition_nll(raw.float(), codes, mask.float())

    def critic_input(self, rows: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return torch.cat([rows, cond.to(rows.dtype)], dim=1)

    def calibration_inputs(self, n_batches: int):
        """Inputs (noise, cond) for BatchNorm re-estimation, with conditions drawn as in training:
        the statistics must be those of the batches the generator learned with, or the sampled
        rows drift (null rates, rare levels) from what training produced."""
        for _ in range(n_batches):
            batch = self._calibration_batch()
            yield self.noise(batch.cond.shape[0]), batch.cond

    def _calibration_batch(self) -> Batch:
        return self.real_batch()


class PrivateTabularProblem(TabularProblem):
    """The problem of a DP fit (:mod:`synthgan.train.private`): real batches are Poisson samples
    (each row with probability ``sample_rate``), each row conditioned on one of its own discrete
    values (a column drawn uniformly), so a row's condition depends on that row alone; the
    generator's batches (and BatchNorm re-estimation) take conditions from the sampler's category
    frequencies, never from real rows."""

    def __init__(self, *args, sample_rate: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sample_rate = float(sample_rate)

    def real_batch(self) -> Batch:
        rows = np.flatnonzero(self.np_rng.random(len(self.cond_codes_np)) < self.sample_rate)
        codes = self.cond_codes_np[rows]
        mask = np.zeros(codes.shape, dtype=bool)
        if self.sampler.n_cond:
            mask[np.arange(len(rows)), self.np_rng.integers(self.sampler.n_cond, size=len(rows))] = True
        return self._batch(rows, codes, mask)

    def public_batch(self) -> Batch:
        return self._batch(None, *self.sampler.sample_free(self.batch_size, self.np_rng))

    def _calibration_batch(self) -> Batch:
        return self.public_batch()
