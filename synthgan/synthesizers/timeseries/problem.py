"""The sequence half of a :class:`TimeSeriesGAN` fit (see :class:`~synthgan.train.loop.GANProblem`):
real batches of series, the generator's moment, roughness and guidance losses, the critic's input
(DiffAugment), and the problem of a differentially private fit."""

from __future__ import annotations


import numpy as np
import torch

from synthgan.synthesizers.base import Settings
from synthgan.synthesizers.timeseries.guide import SeriesClassifier, augment
from synthgan.train.loop import Batch


class SeriesProblem:
    """The sequence half of a GAN fit (see :class:`~synthgan.train.loop.GANProblem`).

    Real rows are (B, T, F + 1): features scaled to [-1, 1] and zero after the end, then the mask.
    Besides the adversarial loss, the generator matches the real batch's per-step means and
    standard deviations (TimeGAN's moment loss), which steadies early training.
    """

    def __init__(self, values: torch.Tensor, mask: torch.Tensor, cond: torch.Tensor, cfg: Settings,
                 np_rng: np.random.Generator, torch_rng: torch.Generator, codes: torch.Tensor | None = None,
                 guide: SeriesClassifier | None = None) -> None:
        self.values, self.mask, self.cond, self.cfg = values, mask, cond, cfg
        self.np_rng, self.rng = np_rng, torch_rng
        self.batch = min(cfg.batch_size, len(values))
        self.codes, self.guide = codes, guide

    def noise(self, b: int, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        dev = self.values.device
        return (torch.randn((b, t, self.cfg.step_noise), generator=self.rng, device=dev),
                torch.randn((b, self.cfg.global_noise), generator=self.rng, device=dev))

    def real_batch(self) -> Batch:
        idx = torch.as_tensor(self.np_rng.integers(len(self.values), size=self.batch), device=self.values.device)
        mask = self.mask[idx]
        return Batch(torch.cat([self.values[idx], mask[:, :, None]], dim=2), self.cond[idx], (mask, idx))

    def generate(self, generator, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """(fake rows for the critic, rows for the guidance loss): with ``guide_shape`` the guide reads
        the series without its output noise, so the class must come from the shape: the generator
        cannot pass the frozen classifier by shaping bursts of noise. (Reading the same noisy series
        with only the noise scale cut from the graph measured worse: label ratio 0.69 and 0.40 on the
        small shape set, against 0.82 and 0.94.)"""
        m = batch.extra[0][:, :, None]
        zs, zg = self.noise(*m.shape[:2])
        fake, shape = generator(zs, zg, batch.cond, with_shape=True)
        rows = torch.cat([fake * m, m], dim=2)
        return rows, (torch.cat([shape * m, m], dim=2) if self.cfg.guide_shape else rows)

    def generator_loss(self, aux, batch: Batch) -> torch.Tensor:
        """The moment and roughness losses, and the guidance loss: a classifier trained on real series (frozen) must
        recognise each fake series' discrete attributes (those it can tell from real series)."""
        cfg = self.cfg
        loss = self._moments if cfg.moment_weight > 0 or cfg.roughness_weight > 0 else \
            torch.zeros((), device=self.values.device)
        return loss + self._guidance(aux, batch)

    def _guidance(self, aux, batch: Batch) -> torch.Tensor:
        """The guidance loss: the frozen classifier must recognise each fake series' discrete
        attributes (``codes``, indexed by the batch's ``extra[1]``)."""
        if self.guide is None or self.cfg.guidance_weight <= 0:
            return torch.zeros((), device=self.values.device)
        return self.cfg.guidance_weight * self.guide.loss(aux.float(), self.codes[batch.extra[1]])

    def critic_input(self, rows: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        if self.cfg.augment and torch.is_grad_enabled():
            rows = augment(rows, self.rng)
        return torch.cat([rows.flatten(1), cond.to(rows.dtype)], dim=1)

    def moment_loss(self, fake: torch.Tensor, real: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        n = mask.sum(0).clamp_min(1.0)[:, None]                                  # (T, 1)
        mf, mr = fake.sum(0) / n, real.sum(0) / n
        sf = ((fake - mf) ** 2 * mask[:, :, None]).sum(0).div(n).add(1e-6).sqrt()
        sr = ((real - mr) ** 2 * mask[:, :, None]).sum(0).div(n).add(1e-6).sqrt()
        loss = self.cfg.moment_weight * ((mf - mr).abs().mean() + (sf - sr).abs().mean())
        if self.cfg.roughness_weight > 0 and fake.shape[1] > 2:
            # texture: the mean |second difference| per feature over valid steps (noise, not shape)
            m2 = (mask[:, 2:] * mask[:, 1:-1] * mask[:, :-2])[:, :, None]
            n2 = m2.sum((0, 1)).clamp_min(1.0)
            rf = ((fake[:, 2:] - 2 * fake[:, 1:-1] + fake[:, :-2]).abs() * m2).sum((0, 1)) / n2
            rr = ((real[:, 2:] - 2 * real[:, 1:-1] + real[:, :-2]).abs() * m2).sum((0, 1)) / n2
            loss = loss + self.cfg.roughness_weight * (rf - rr).abs().mean()
        return loss


class MomentProblem(SeriesProblem):
    """Computes the moment loss in ``generate`` (where the fake batch is) for ``generator_loss``."""

    def generate(self, generator, batch: Batch):
        out, aux = super().generate(generator, batch)
        self._moments = self.moment_loss(out[:, :, :-1].float(), batch.real[:, :, :-1], batch.extra[0])
        return out, aux


class PrivateSeriesProblem(SeriesProblem):
    """The problem of a DP fit (:mod:`synthgan.train.private`): real batches are Poisson samples of
    series (each with probability ``sample_rate``), each under its own attributes; the generator's
    batches take attributes and lengths from ``pool`` (conditions, masks and the guided attributes'
    codes of rows drawn from the DP-trained static model, never from real series); the guidance
    classifier, when there is one, was trained with DP-SGD too; the moment and roughness losses,
    which read real batches, are off."""

    def __init__(self, values: torch.Tensor, mask: torch.Tensor, cond: torch.Tensor, cfg: Settings,
                 np_rng: np.random.Generator, torch_rng: torch.Generator, sample_rate: float,
                 pool: tuple[torch.Tensor, torch.Tensor, torch.Tensor | None],
                 guide: SeriesClassifier | None = None) -> None:
        super().__init__(values, mask, cond, cfg, np_rng, torch_rng, pool[2], guide)
        self.sample_rate, (self.pool_cond, self.pool_mask) = float(sample_rate), pool[:2]

    def real_batch(self) -> Batch:
        rows = np.flatnonzero(self.np_rng.random(len(self.values)) < self.sample_rate)
        idx = torch.as_tensor(rows, device=self.values.device)
        mask = self.mask[idx]
        return Batch(torch.cat([self.values[idx], mask[:, :, None]], dim=2), self.cond[idx], (mask, idx))

    def public_batch(self) -> Batch:
        idx = torch.as_tensor(self.np_rng.integers(len(self.pool_cond), size=self.batch), device=self.values.device)
        return Batch(torch.empty((0,), device=self.values.device), self.pool_cond[idx], (self.pool_mask[idx], idx))

    def generator_loss(self, aux, batch: Batch) -> torch.Tensor:
        return self._guidance(aux, batch)
