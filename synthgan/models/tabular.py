"""Networks of the tabular GAN: a residual MLP generator and a packed MLP critic (PacGAN)."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from synthgan.models.common import SeededDropout


class _Block(nn.Module):
    """Linear -> BatchNorm -> ReLU, added to its input when the widths match (a residual block)."""

    def __init__(self, i: int, o: int) -> None:
        super().__init__()
        self.fc = nn.Linear(i, o)
        self.bn = nn.BatchNorm1d(o)
        self.residual = i == o

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.bn(self.fc(x)))
        return x + h if self.residual else h


class TabularGenerator(nn.Module):
    """(noise (B, noise_dim), cond (B, cond_dim)) -> raw encoded row (B, data_dim), before activations.

    Residual blocks add rather than concatenate (CTGAN concatenates, so its layers widen to
    ~750 inputs): about half the multiply-adds per row for the same depth and width.
    """

    def __init__(self, noise_dim: int, cond_dim: int, data_dim: int, hidden: Sequence[int] = (256, 256)) -> None:
        super().__init__()
        widths = [noise_dim + cond_dim, *hidden]
        self.body = nn.Sequential(*(_Block(i, o) for i, o in zip(widths[:-1], widths[1:])))
        self.head = nn.Linear(widths[-1], data_dim)

    def forward(self, noise: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(torch.cat([noise, cond], dim=1)))


class TabularCritic(nn.Module):
    """WGAN critic over packs of ``pac`` rows: (B, data_dim + cond_dim) -> (B // pac, 1)."""

    def __init__(self, in_dim: int, pac: int, hidden: Sequence[int] = (256, 256), dropout: float = 0.5) -> None:
        super().__init__()
        self.pac = pac
        layers: list[nn.Module] = []
        width = in_dim * pac
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2), SeededDropout(dropout)]
            width = h
        layers.append(nn.Linear(width, 1))
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x.reshape(-1, x.shape[1] * self.pac))

    def set_generator(self, generator: torch.Generator | None) -> None:
        for m in self.modules():
            if isinstance(m, SeededDropout):
                m.generator = generator
