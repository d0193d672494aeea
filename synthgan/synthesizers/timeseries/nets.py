"""The feature generator and critic of a :class:`TimeSeriesGAN` (unseeded: the model builds them
with :func:`synthgan.models.common.build_seeded`), and the recurrent generator of model folders
saved before the redesign."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from synthgan.models.timeseries import ConvSeriesCritic, ConvSeriesGenerator, SequenceGenerator
from synthgan.synthesizers.base import Settings


def generator_for(cfg: Settings, cond_dim: int, n_features: int) -> torch.nn.Module:
    return ConvSeriesGenerator(cfg.step_noise, cfg.global_noise, cond_dim, n_features, cfg.hidden)


def critic_for(cfg: Settings, cond_dim: int, n_features: int, max_len: int, private: bool = False) -> torch.nn.Module:
    """Spectrally normalised for the hinge loss; plain under DP (WGAN-GP, see ConvSeriesCritic)."""
    return ConvSeriesCritic(max_len, n_features, cond_dim, cfg.critic_channels, spectral=not private)


def legacy_generator(hyperparameters: Mapping[str, Any], cond_dim: int, n_features: int) -> torch.nn.Module:
    """The recurrent generator a ``synthgan.timeseries/1`` folder's weights belong to."""
    h = hyperparameters
    return SequenceGenerator(h["step_noise"], h["global_noise"], cond_dim, n_features, h["hidden"], h["layers"],
                             h.get("output_noise", False))
