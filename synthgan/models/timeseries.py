"""Networks of the time-series GAN: a convolutional feature generator that writes every step at
once, conditioned on static attributes, and a convolutional critic over (features, validity mask)
that reads the attributes by projection. The recurrent generator of earlier releases stays, so
their model folders still load and sample (``synthgan.timeseries/1``)."""

from __future__ import annotations

import math

import torch
from torch import nn

from synthgan.models.common import SNConv1d, SNLinear


class SequenceGenerator(nn.Module):
    """The generator of model folders saved before the redesign (``synthgan.timeseries/1``; loaded,
    never trained now). GRU over per-step noise, with series-level noise and the condition setting its initial state
    and joining every step. Output (B, T, F) in [-1, 1].

    With ``output_noise``, each step also adds white noise of a scale the GRU sets per step and
    feature (a heteroscedastic output, as a decoder's likelihood noise): a recurrent net alone
    writes series smoother than measured ones, and a strong judge tells them apart by that alone.
    The noise is the first F channels of the per-step noise, so sampling stays seeded as before."""

    def __init__(self, step_noise: int, global_noise: int, cond_dim: int, n_features: int,
                 hidden: int = 64, layers: int = 2, output_noise: bool = False) -> None:
        super().__init__()
        self.layers, self.hidden, self.n_features = layers, hidden, n_features
        ctx = global_noise + cond_dim
        self.init = nn.Linear(ctx, layers * hidden)
        self.gru = nn.GRU(step_noise + ctx, hidden, layers, batch_first=True)
        self.out = nn.Linear(hidden, n_features)
        self.noise_scale = nn.Linear(hidden, n_features) if output_noise else None

    def forward(self, z_steps: torch.Tensor, z_global: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        b, t, _ = z_steps.shape
        ctx = torch.cat([z_global, cond], dim=1)                                   # (B, Zg + C)
        h0 = torch.tanh(self.init(ctx)).view(b, self.layers, self.hidden).transpose(0, 1).contiguous()
        y, _ = self.gru(torch.cat([z_steps, ctx[:, None, :].expand(b, t, ctx.shape[1])], dim=2), h0)
        mean = self.out(y)
        if self.noise_scale is None:
            return torch.tanh(mean)
        eps = z_steps[:, :, torch.arange(self.n_features, device=z_steps.device) % z_steps.shape[2]]
        return torch.tanh(mean + nn.functional.softplus(self.noise_scale(y) - 3.0) * eps)


def positions(t: int, n_freq: int, device: torch.device) -> torch.Tensor:
    """(1, 2 * n_freq, t): sines and cosines of the step's place in the series, so convolutions,
    which see the same pattern wherever it is, can also tell when it is."""
    pos = torch.arange(t, device=device, dtype=torch.float32)[None, :] / max(t, 1)
    freq = torch.arange(1, n_freq + 1, device=device, dtype=torch.float32)[:, None] * math.pi
    return torch.cat([torch.sin(freq * pos), torch.cos(freq * pos)])[None]


class ConvSeriesGenerator(nn.Module):
    """Writes every step at once (no recurrence, so a step of training is cheap on a CPU), coarse to
    fine as an image generator does: the series noise and the condition make a short sequence of
    features (a step every 2 ** ``stages`` steps), each stage doubles the steps (nearest
    upsampling, a 5-step convolution) and adds the per-step noise (its texture), the condition
    setting each stage's scale and shift (FiLM). Output (B, T, F) in [-1, 1]."""

    N_FREQ = 4

    def __init__(self, step_noise: int, global_noise: int, cond_dim: int, n_features: int,
                 channels: int = 64, stages: int = 3) -> None:
        super().__init__()
        self.channels, self.stages = channels, stages
        ctx = global_noise + cond_dim
        self.base = nn.Linear(ctx, channels * 4)                   # 4 coarse steps, stretched to the length
        self.film = nn.Linear(ctx, 2 * channels * stages)
        self.convs = nn.ModuleList(nn.Conv1d(channels + 2 * self.N_FREQ, channels, 5, padding=2)
                                   for _ in range(stages))
        self.noise = nn.ModuleList(nn.Conv1d(step_noise, channels, 1, bias=False) for _ in range(stages))
        self.out = nn.Conv1d(channels, n_features, 1)

    def forward(self, z_steps: torch.Tensor, z_global: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        b, t, _ = z_steps.shape
        ctx = torch.cat([z_global, cond], 1)
        film = self.film(ctx).view(b, self.stages, 2, self.channels, 1)
        h = self.base(ctx).view(b, self.channels, 4)
        zs = z_steps.transpose(1, 2)                                               # (B, Zs, T)
        for i in range(self.stages):
            steps = max(-(-t // 2 ** (self.stages - 1 - i)), 4)                    # ..., T/4, T/2, T
            h = nn.functional.interpolate(h, size=steps, mode="linear", align_corners=False)
            noise = nn.functional.adaptive_avg_pool1d(zs, steps) if steps != t else zs
            x = torch.cat([h, positions(steps, self.N_FREQ, h.device).expand(b, -1, -1)], 1)
            h = nn.functional.leaky_relu(self.convs[i](x) + self.noise[i](noise), 0.2)
            h = h * (1 + film[:, i, 0]) + film[:, i, 1]
        return torch.tanh(self.out(h)).transpose(1, 2)                              # (B, T, F)


class ConvSeriesCritic(nn.Module):
    """Reads a flat (B, T * (F + 1) + C) input: the masked features with the mask as one more
    channel, then the condition. 1-d convolutions over the features, the mask and the steps'
    positions, twice halving the steps, pooled over the valid steps (mean and standard deviation).
    The condition enters by projection (Miyato & Koyama, 2018: the score plus the inner product of
    an embedding of the condition with the pooled features; joining it to the features instead
    measured the same). With ``spectral``, every layer is spectrally normalised (the hinge loss'
    critic; a DP fit trains a plain one with the gradient penalty, whose per-sample gradients
    Opacus computes)."""

    def __init__(self, max_len: int, n_features: int, cond_dim: int, channels: int = 64,
                 spectral: bool = True) -> None:
        super().__init__()
        self.t, self.c_in = max_len, n_features + 1
        n_pos = 2 * ConvSeriesGenerator.N_FREQ
        conv, lin = (SNConv1d, SNLinear) if spectral else (nn.Conv1d, nn.Linear)
        self.conv = nn.ModuleList([conv(self.c_in + n_pos, channels, 5, padding=2),
                                   conv(channels, channels, 5, stride=2, padding=2),
                                   conv(channels, 2 * channels, 5, stride=2, padding=2)])
        feat = 4 * channels                                                       # mean and std of 2 * ch
        self.embed = lin(cond_dim, feat, bias=False) if cond_dim else None
        self.head = nn.Sequential(lin(feat, channels), nn.LeakyReLU(0.2), lin(channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_seq = self.t * self.c_in
        s, cond = x[:, :n_seq].view(-1, self.t, self.c_in).transpose(1, 2), x[:, n_seq:]   # (B, F + 1, T)
        mask = s[:, -1:]
        h = torch.cat([s, positions(self.t, ConvSeriesGenerator.N_FREQ, x.device).expand(len(s), -1, -1)], 1)
        for i, conv in enumerate(self.conv):
            h = nn.functional.leaky_relu(conv(h), 0.2)
            if conv.stride[0] > 1:                                                 # the mask follows the steps
                mask = nn.functional.max_pool1d(mask, 2, ceil_mode=True)[:, :, : h.shape[2]]
            h = h * mask
        n = mask.sum(dim=2).clamp_min(1.0)
        mean = h.sum(dim=2) / n
        std = ((h - mean[:, :, None]) ** 2 * mask).sum(dim=2).div(n).add(1e-6).sqrt()
        feat = torch.cat([mean, std], 1)
        score = self.head(feat)
        return score if self.embed is None else score + (self.embed(cond) * feat).sum(1, keepdim=True)
