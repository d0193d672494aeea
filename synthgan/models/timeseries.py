"""Networks of the time-series GAN: a recurrent feature generator conditioned on static attributes,
and a convolutional critic over (features, validity mask) with the attributes joined at the end."""

from __future__ import annotations

import torch
from torch import nn


class SequenceGenerator(nn.Module):
    """GRU over per-step noise, with series-level noise and the condition setting its initial state
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

    def forward(self, z_steps: torch.Tensor, z_global: torch.Tensor, cond: torch.Tensor,
                with_shape: bool = False) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """The series; with ``with_shape``, also the series without its output noise (the shape)."""
        b, t, _ = z_steps.shape
        ctx = torch.cat([z_global, cond], dim=1)                                   # (B, Zg + C)
        h0 = torch.tanh(self.init(ctx)).view(b, self.layers, self.hidden).transpose(0, 1).contiguous()
        y, _ = self.gru(torch.cat([z_steps, ctx[:, None, :].expand(b, t, ctx.shape[1])], dim=2), h0)
        mean = self.out(y)
        if self.noise_scale is None:
            out = torch.tanh(mean)
            return (out, out) if with_shape else out
        eps = z_steps[:, :, torch.arange(self.n_features, device=z_steps.device) % z_steps.shape[2]]
        out = torch.tanh(mean + nn.functional.softplus(self.noise_scale(y) - 3.0) * eps)
        return (out, torch.tanh(mean)) if with_shape else out


class SequenceCritic(nn.Module):
    """Reads a flat (B, T * (F + 1) + C) input: the masked features with the mask as one more
    channel, then the condition. Dilated 1-d convolutions (receptive field 29 steps) pooled over
    the valid steps (mean and standard deviation), plus a dense view of the whole sequence."""

    def __init__(self, max_len: int, n_features: int, cond_dim: int, channels: int = 64) -> None:
        super().__init__()
        self.t, self.c_in = max_len, n_features + 1
        self.conv = nn.Sequential(
            nn.Conv1d(self.c_in, channels, 5, padding=2), nn.LeakyReLU(0.2),
            nn.Conv1d(channels, channels, 5, padding=4, dilation=2), nn.LeakyReLU(0.2),
            nn.Conv1d(channels, channels, 5, padding=8, dilation=4), nn.LeakyReLU(0.2))
        self.dense = nn.Sequential(nn.Linear(max_len * self.c_in, 2 * channels), nn.LeakyReLU(0.2))
        self.head = nn.Sequential(nn.Linear(4 * channels + cond_dim, channels), nn.LeakyReLU(0.2),
                                  nn.Linear(channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_seq = self.t * self.c_in
        seq, cond = x[:, :n_seq], x[:, n_seq:]
        s = seq.view(-1, self.t, self.c_in)                                        # (B, T, F + 1)
        mask = s[:, :, -1:].transpose(1, 2)                                         # (B, 1, T)
        h = self.conv(s.transpose(1, 2)) * mask                                     # (B, ch, T)
        n = mask.sum(dim=2).clamp_min(1.0)
        mean = h.sum(dim=2) / n
        std = ((h - mean[:, :, None]) ** 2 * mask).sum(dim=2).div(n).add(1e-6).sqrt()
        return self.head(torch.cat([mean, std, self.dense(seq), cond], dim=1))
