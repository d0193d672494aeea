"""The feature generator and critic a :class:`TimeSeriesGAN`'s settings ask for (unseeded: the
model builds them with :func:`synthgan.models.common.build_seeded`)."""

from __future__ import annotations

import torch

from synthgan.models.timeseries import ConvSeriesCritic, ConvSeriesGenerator, SequenceCritic, SequenceGenerator
from synthgan.synthesizers.base import Settings


def generator_for(cfg: Settings, cond_dim: int, n_features: int) -> torch.nn.Module:
    """The feature generator the settings ask for (unseeded: see build_seeded)."""
    if cfg.architecture == "conv":
        return ConvSeriesGenerator(cfg.step_noise, cfg.global_noise, cond_dim, n_features, cfg.hidden)
    return SequenceGenerator(cfg.step_noise, cfg.global_noise, cond_dim, n_features, cfg.hidden, cfg.layers,
                             cfg.output_noise)


def critic_for(cfg: Settings, cond_dim: int, n_features: int, max_len: int) -> torch.nn.Module:
    if cfg.architecture == "conv":
        return ConvSeriesCritic(max_len, n_features, cond_dim, cfg.critic_channels, cfg.condition == "projection",
                                spectral=cfg.loss == "hinge")
    return SequenceCritic(max_len, n_features, cond_dim, cfg.critic_channels)
PUBLIC_POOL = 4096   # under DP: static rows drawn from the DP static model, the generator's conditions
