"""Classifier guidance for :class:`TimeSeriesGAN`: a small convolutional classifier of series,
trained on the real ones (with DP-SGD under differential privacy) and frozen, whose loss on fake
series makes series of one class look like that class; and DiffAugment for series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from synthgan.models.common import build_seeded
from synthgan.synthesizers.base import Settings
from synthgan.train import private

GUIDE_BATCH = 64     # series per batch of the guidance classifier


def augment(rows: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """DiffAugment for series (Zhao et al., 2020): the same random, differentiable changes to real and
    fake critic inputs, so a critic trained on few series cannot memorise them: per series and
    feature a scale in [0.9, 1.1] and a shift of sd 0.03, and per step a jitter of sd 0.01; the
    validity mask (last channel) is kept and re-applied."""
    x, mask = rows[:, :, :-1], rows[:, :, -1:]
    b, _, f = x.shape
    dev = rows.device
    scale = 0.9 + 0.2 * torch.rand((b, 1, f), generator=gen, device=dev)
    shift = 0.03 * torch.randn((b, 1, f), generator=gen, device=dev)
    jitter = 0.01 * torch.randn(x.shape, generator=gen, device=dev)
    return torch.cat([(x * scale + shift + jitter) * mask, mask], dim=2)


class SeriesClassifier(torch.nn.Module):
    """A small convolutional classifier of series (features and mask channels) into the codes of
    one or more discrete attributes: masked mean and max pooling of dilated convolutions, one
    linear head per attribute."""

    def __init__(self, n_in: int, classes: list[int], channels: int = 32) -> None:
        super().__init__()
        nn = torch.nn
        self.conv = nn.Sequential(nn.Conv1d(n_in, channels, 5, padding=2), nn.LeakyReLU(0.2),
                                  nn.Conv1d(channels, channels, 5, padding=4, dilation=2), nn.LeakyReLU(0.2),
                                  nn.Conv1d(channels, channels, 5, padding=8, dilation=4), nn.LeakyReLU(0.2))
        self.heads = nn.ModuleList(nn.Linear(2 * channels, k) for k in classes)

    def forward(self, rows: torch.Tensor) -> list[torch.Tensor]:
        mask = rows[:, :, -1:].transpose(1, 2)                                     # (B, 1, T)
        h = self.conv(rows.transpose(1, 2))
        mean = (h * mask).sum(2) / mask.sum(2).clamp_min(1.0)
        top = h.masked_fill(mask == 0, -1e4).amax(2)
        z = torch.cat([mean, top], 1)
        return [head(z) for head in self.heads]

    def loss(self, rows: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy over the attributes (code -1, a null, is ignored)."""
        ce = torch.nn.functional.cross_entropy
        return sum(ce(out, codes[:, k], ignore_index=-1) for k, out in enumerate(self(rows))) / len(self.heads)


def fit_private_guide(net: SeriesClassifier, opt: torch.optim.Optimizer, rows: torch.Tensor, codes: torch.Tensor,
                       rng: np.random.Generator, gen: torch.Generator, dp: dict) -> None:
    """DP-SGD for the guidance classifier (Opacus, as for the critics): Poisson batches of series,
    each series' cross-entropy its own per-sample loss, clipped, summed and noised by the
    DPOptimizer (noise seeded by ``gen``). An empty batch is skipped (post-processing: it spends
    nothing more than the accountant counts)."""
    from opacus import GradSampleModule
    model = GradSampleModule(net, loss_reduction="sum")
    n = len(rows)
    opt = private.dp_optimizer(opt, dp["noise_multiplier"], dp["max_grad_norm"], max(1, round(dp["sample_rate"] * n)),
                               gen)
    ce = torch.nn.functional.cross_entropy
    for _ in range(dp["steps"]):
        i = np.flatnonzero(rng.random(n) < dp["sample_rate"])
        if not len(i):
            continue
        idx = torch.as_tensor(i, device=rows.device)
        opt.zero_grad(set_to_none=True)
        outs = model(augment(rows[idx], gen))
        private.backward(sum(ce(out, codes[idx, k], ignore_index=-1, reduction="sum") for k, out in enumerate(outs))
                         / len(outs))
        opt.step()
    model.remove_hooks()
    model.del_grad_sample()



def guide_columns(table: pd.DataFrame, schema) -> list[str]:
    """The static table's discrete attributes (not the length or scale columns)."""
    kinds = {c.name: c.kind for c in schema.columns}
    return [c for c in table.columns if not c.startswith("__") and c in kinds and kinds[c].is_discrete]

def attribute_codes(table: pd.DataFrame, cols: list[str], categories: list | None = None
                     ) -> tuple[np.ndarray, list]:
    """(codes (N, K), each column's categories); a null (or, with ``categories``, an unknown
    value) is code -1."""
    cats = [pd.Categorical(table[c].astype(object).where(table[c].notna(), None),
                           categories=None if categories is None else categories[k]) for k, c in enumerate(cols)]
    return np.stack([c.codes for c in cats], 1).astype(np.int64), [c.categories for c in cats]



def train_guide(cfg: Settings, static_schema, values: torch.Tensor, mask: torch.Tensor, table: pd.DataFrame,
                seed: int, dp: dict | None = None) -> tuple[torch.Tensor | None, SeriesClassifier | None, dict, tuple]:
    """The frozen classifier of the guidance loss, trained on real series for the discrete
    attributes it can tell from the series: each attribute's validation accuracy (a seeded 25%
    of the series) must beat always guessing its most common value by 0.1 and by two standard
    errors. (codes, classifier, the guided attributes, (columns, categories)); codes and
    classifier None when no attribute qualifies (or guidance is off).

    Under DP (``dp``: its plan) it is trained with DP-SGD on Poisson batches of all series and
    guides every discrete attribute: a choice made on held-out series would be a statistic of
    real series outside the budget."""
    if static_schema is None or cfg.guidance_weight <= 0 or cfg.guidance_steps == 0:
        return None, None, {}, ()
    cols = guide_columns(table, static_schema)
    if not cols:
        return None, None, {}, ()
    codes_np, cats = attribute_codes(table, cols)
    codes = torch.as_tensor(codes_np, device=values.device)
    rows = torch.cat([values, mask[:, :, None]], 2)
    rng = np.random.default_rng(seed)
    gen = torch.Generator(device=values.device).manual_seed(seed)
    net = build_seeded(lambda: SeriesClassifier(rows.shape[2], [len(c) for c in cats]),
                       torch.Generator().manual_seed(seed), values.device)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3, weight_decay=1e-4)
    if dp is not None:
        fit_private_guide(net, opt, rows, codes, rng, gen, dp)
        net.eval().requires_grad_(False)
        return codes, net, {c: True for c in cols}, (cols, cats)
    order = rng.permutation(len(rows))
    n_val = max(len(rows) // 4, 1)
    val, fit = order[:n_val], order[n_val:]
    for _ in range(cfg.guidance_steps):
        i = torch.as_tensor(rng.choice(fit, min(GUIDE_BATCH, len(fit))), device=values.device)
        opt.zero_grad(set_to_none=True)
        net.loss(augment(rows[i], gen), codes[i]).backward()
        opt.step()
    net.eval().requires_grad_(False)
    with torch.no_grad():
        outs = net(rows[torch.as_tensor(val, device=values.device)])
    keep = []
    for k, out in enumerate(outs):
        truth = codes[val, k].cpu().numpy()
        known = truth >= 0
        if not known.any():
            continue
        acc = float((out.argmax(1).cpu().numpy()[known] == truth[known]).mean())
        majority = float(np.bincount(truth[known]).max() / known.sum())
        # clearly better than guessing: by 0.1 and by two standard errors of the guess's accuracy
        if acc >= majority + max(0.1, 2.0 * np.sqrt(majority * (1 - majority) / known.sum())):
            keep.append(k)
    guided = {cols[k]: True for k in keep}
    if not keep:
        return None, None, guided, ()
    net.heads = torch.nn.ModuleList(net.heads[k] for k in keep)
    return codes[:, keep], net, guided, ()
