"""Per-span activations and losses on dense encoded rows, as index-tensor operations.

A dense row (B, dim) holds ``tanh`` columns (alphas) and ``softmax`` spans (modes, levels, null
indicators). All spans are handled at once with segment reductions (``scatter_reduce`` /
``scatter_add``) instead of a Python loop over columns.
"""

from __future__ import annotations

import numpy as np
import torch

from synthgan.transform.table import Layout


def gumbel(shape: tuple[int, ...], generator: torch.Generator, device: torch.device) -> torch.Tensor:
    u = torch.rand(shape, generator=generator, device=device).clamp_(1e-10, 1.0 - 1e-7)
    return -torch.log(-torch.log(u))


class SpanOps:
    """Index tensors of a :class:`Layout` on one device."""

    def __init__(self, layout: Layout, device: torch.device) -> None:
        seg = layout.span_ids()
        soft_cols = np.flatnonzero(seg >= 0)
        order = np.concatenate([layout.tanh_pos, soft_cols])
        t = lambda a: torch.as_tensor(np.asarray(a, dtype=np.int64), device=device)  # noqa: E731
        self.device = device
        self.dim = layout.dim
        self.n_soft = len(layout.soft_sizes)
        self.tanh_pos = t(layout.tanh_pos)
        self.soft_cols = t(soft_cols)
        self.seg = t(seg[soft_cols])                       # (n_soft_cols,) span of each soft column
        self.perm_back = t(np.argsort(order))              # [tanh | soft] -> dense order
        self.soft_offsets = t(layout.soft_offsets)
        self.cond_offsets = t(layout.soft_offsets[layout.cond_spans])   # (n_cond,)
        dense_to_soft = np.full(layout.dim, -1)
        dense_to_soft[soft_cols] = np.arange(len(soft_cols))
        self.dense_to_soft = t(dense_to_soft)
        self.local_idx = t(soft_cols - layout.soft_offsets[seg[soft_cols]])  # position within its span

    def segment_max(self, x: torch.Tensor) -> torch.Tensor:
        """The maximum of each span of ``x`` (B, n_soft_cols), broadcast back to (B, n_soft_cols)."""
        seg = self.seg.expand(x.shape[0], -1)
        m = torch.full((x.shape[0], self.n_soft), -torch.inf, device=x.device, dtype=x.dtype)
        return m.scatter_reduce(1, seg, x, reduce="amax", include_self=True).gather(1, seg)

    def segment_log_softmax(self, x: torch.Tensor) -> torch.Tensor:
        """Log-softmax within each span of ``x`` (B, n_soft_cols)."""
        b = x.shape[0]
        seg = self.seg.expand(b, -1)
        x = x - self.segment_max(x.detach())
        s = torch.zeros((b, self.n_soft), device=x.device, dtype=x.dtype).scatter_add(1, seg, x.exp())
        return x - s.log().gather(1, seg)

    def activate(self, raw: torch.Tensor, tau: float, generator: torch.Generator) -> torch.Tensor:
        """tanh on alphas, Gumbel-softmax (temperature ``tau``) on every span: (B, dim) -> (B, dim)."""
        alphas = torch.tanh(raw[:, self.tanh_pos])
        logits = raw[:, self.soft_cols]
        logits = (logits + gumbel(tuple(logits.shape), generator, raw.device).to(logits.dtype)) / tau
        soft = self.segment_log_softmax(logits).exp()
        return torch.cat([alphas, soft], dim=1)[:, self.perm_back]

    def condition_nll(self, raw: torch.Tensor, cond_codes: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of the generator's logits against the conditioned levels, per row summed."""
        if cond_codes.shape[1] == 0:
            return raw.new_zeros(())
        logp = self.segment_log_softmax(raw[:, self.soft_cols])
        target = self.dense_to_soft[self.cond_offsets[None, :] + cond_codes]      # (B, n_cond)
        nll = -logp.gather(1, target) * mask
        return nll.sum(dim=1).mean()

    def dense(self, alphas: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """Dense one-hot rows from alphas (B, n_tanh) and codes (B, n_soft)."""
        out = torch.zeros((alphas.shape[0], self.dim), device=alphas.device, dtype=torch.float32)
        out[:, self.tanh_pos] = alphas
        return out.scatter_(1, self.soft_offsets[None, :] + codes, 1.0)

    def decode(self, raw: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Sample (alphas (B, n_tanh), codes (B, n_soft)) from raw generator output.

        Each span's level is drawn from the softmax of its logits (Gumbel-max), not its argmax,
        so sampled categories keep their diversity. Per-span argmax is two segment reductions
        over the softmax columns only (no padding to the widest span).
        """
        b = raw.shape[0]
        alphas = torch.tanh(raw[:, self.tanh_pos])
        logits = raw[:, self.soft_cols]
        noisy = logits + gumbel(tuple(logits.shape), generator, raw.device).to(raw.dtype)
        # the winning column's position within its span (+1, so losers contribute 0)
        won = (noisy == self.segment_max(noisy)) * (self.local_idx + 1)
        codes = torch.zeros((b, self.n_soft), device=raw.device, dtype=torch.int64)
        codes = codes.scatter_reduce(1, self.seg.expand(b, -1), won, reduce="amax", include_self=True) - 1
        return alphas, codes
