"""Building blocks shared by the modalities' networks, and seeded weight initialisation."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


class SeededDropout(nn.Module):
    """Dropout drawing its mask from a caller-owned ``torch.Generator`` (never the global RNG).

    ``generator`` is set by the trainer; without one, the module is the identity (as at eval).
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = float(p)
        self.generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0 or self.generator is None:
            return x
        keep = torch.rand(x.shape, generator=self.generator, device=x.device, dtype=x.dtype) >= self.p
        return x * keep / (1.0 - self.p)


class SpectralNorm:
    """Mixin: divides the weight by its largest singular value, estimated by power iteration (its
    own here, not torch's parametrization, so the start vector comes from the caller's seeded
    generator: see :func:`build_seeded`)."""

    def _init_sn(self) -> None:
        out = self.weight.shape[0]
        self.register_buffer("sn_u", torch.empty(out))

    def reset_u(self, generator: torch.Generator) -> None:
        with torch.no_grad():
            self.sn_u.copy_(F.normalize(torch.randn(self.sn_u.shape, generator=generator), dim=0))

    def normalised_weight(self) -> torch.Tensor:
        w = self.weight.flatten(1)
        with torch.no_grad():
            v = F.normalize(w.t() @ self.sn_u, dim=0, eps=1e-12)
            u = F.normalize(w @ v, dim=0, eps=1e-12)
            if self.training:
                self.sn_u.copy_(u)
        sigma = torch.dot(u, w @ v)
        return self.weight / sigma


class SNConv1d(nn.Conv1d, SpectralNorm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_sn()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.normalised_weight(), self.bias)


class SNConv2d(nn.Conv2d, SpectralNorm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_sn()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.normalised_weight(), self.bias)


class SNLinear(nn.Linear, SpectralNorm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_sn()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.normalised_weight(), self.bias)


def build_seeded(factory, generator: torch.Generator, device: torch.device) -> nn.Module:
    """Construct ``factory()`` without touching the global RNG, initialised from ``generator``.

    The module is built on the meta device (no init runs), materialised on the CPU, initialised
    like PyTorch's defaults (Kaiming-uniform weights, uniform biases) from ``generator``,
    then moved to ``device``.
    """
    with torch.device("meta"):
        module = factory()
    module = module.to_empty(device="cpu")
    for m in module.modules():
        if isinstance(m, nn.Linear | nn.Conv1d | nn.Conv2d | nn.ConvTranspose2d):
            nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
            if m.bias is not None:
                fan_in = m.weight[0].numel() if not isinstance(m, nn.ConvTranspose2d) else m.weight[:, 0].numel()
                bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
                nn.init.uniform_(m.bias, -bound, bound, generator=generator)
        elif isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d | nn.LayerNorm | nn.GroupNorm):
            if getattr(m, "weight", None) is not None:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
                m.reset_running_stats()
        elif isinstance(m, nn.RNNBase):       # PyTorch's default: U(-1/sqrt(hidden), 1/sqrt(hidden))
            bound = 1.0 / math.sqrt(m.hidden_size)
            for p in m.parameters(recurse=False):
                nn.init.uniform_(p, -bound, bound, generator=generator)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, generator=generator)
    for m in module.modules():               # spectral-norm start vectors (SpectralNorm)
        if hasattr(m, "reset_u"):
            m.reset_u(generator)
    leftover = [n for n, p in module.named_parameters() if not torch.isfinite(p).all()]
    if leftover:  # a layer type above does not cover: fail loudly rather than train on garbage
        raise TypeError(f"build_seeded cannot initialise parameters {leftover}")
    return module.to(device)
