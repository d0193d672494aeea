"""Adversarial losses: WGAN with gradient penalty on packed inputs."""

from __future__ import annotations

import torch
from torch import nn


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, pac: int,
                     generator: torch.Generator, fraction: float = 1.0) -> torch.Tensor:
    """WGAN-GP penalty ``E[(||grad D(x_hat)|| - 1)^2]`` with one interpolation weight per pack.

    ``real`` and ``fake`` are (B, d) with B divisible by ``pac``; the norm is taken over the
    packed input (B // pac, pac * d), which is what the critic sees. ``fraction`` < 1 estimates
    the expectation on the first share of the packs only (an unbiased, cheaper estimate: the
    double backward is the most expensive part of a critic step).
    """
    n_packs = max(1, int(round(real.shape[0] // pac * fraction)))
    real, fake = real[: n_packs * pac], fake[: n_packs * pac]
    b, d = real.shape
    w = torch.rand(b // pac, 1, 1, generator=generator, device=real.device, dtype=real.dtype)
    w = w.expand(b // pac, pac, d).reshape(b, d)
    x_hat = (w * real + (1 - w) * fake).requires_grad_(True)
    out = critic(x_hat)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    norm = grad.reshape(b // pac, pac * d).norm(2, dim=1)
    return ((norm - 1.0) ** 2).mean()
