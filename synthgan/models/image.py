"""Networks of the class-conditional image GAN (DCGAN-style, for 8 to 64 pixel images).

Generator: noise and a class embedding -> 4x4 feature map -> (upsample, conv, BatchNorm, ReLU)
blocks -> tanh image. Discriminator: spectrally normalised conv blocks -> summed features ->
a linear score plus the projection term <embed(y), features> (Miyato & Koyama, 2018).

Spectral normalisation is implemented here (one power iteration per forward) so that its random
start vector comes from our seeded generator, not from torch's global RNG.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from synthgan.models.common import SNConv2d, SNLinear


def n_stages(size: int) -> int:
    """Upsampling stages from 4x4 to ``size`` (a power of two from 8 to 64)."""
    return int(math.log2(size)) - 2


class ImageGenerator(nn.Module):
    def __init__(self, noise_dim: int, n_classes: int, size: int, channels: int, width: int = 64) -> None:
        super().__init__()
        self.width, stages = width, n_stages(size)
        self.embed = nn.Embedding(n_classes, noise_dim)
        top = width * 2 ** (stages - 1)
        self.fc = nn.Linear(2 * noise_dim, top * 16)
        self.top = top
        blocks, c = [], top
        for i in range(stages):
            nxt = max(width, c // 2) if i < stages - 1 else width
            blocks += [nn.Upsample(scale_factor=2), nn.Conv2d(c, nxt, 3, padding=1), nn.BatchNorm2d(nxt), nn.ReLU()]
            c = nxt
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Conv2d(c, channels, 3, padding=1)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = self.fc(torch.cat([z, self.embed(labels)], dim=1)).view(-1, self.top, 4, 4)
        return torch.tanh(self.out(self.blocks(F.relu(h))))


class ImageDiscriminator(nn.Module):
    """Reads a flat (B, C*H*W + n_classes) input: the image, then the one-hot label."""

    def __init__(self, n_classes: int, size: int, channels: int, width: int = 64) -> None:
        super().__init__()
        self.size, self.channels, self.n_classes = size, channels, n_classes
        layers, c = [], channels
        for i in range(n_stages(size)):
            nxt = width * 2 ** i
            layers += [SNConv2d(c, nxt, 3, padding=1), nn.LeakyReLU(0.2),
                       SNConv2d(nxt, nxt, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
            c = nxt
        self.features = nn.Sequential(*layers)
        self.linear = SNLinear(c, 1)
        self.embed = SNLinear(n_classes, c, bias=False)          # projection: one-hot @ W = embedding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_pix = self.channels * self.size * self.size
        img = x[:, :n_pix].view(-1, self.channels, self.size, self.size)
        onehot = x[:, n_pix:]
        h = self.features(img).sum(dim=(2, 3))                    # (B, c)
        return self.linear(h) + (self.embed(onehot) * h).sum(dim=1, keepdim=True)
