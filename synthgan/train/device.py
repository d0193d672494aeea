"""Device selection: one place decides between cuda, mps and cpu."""

from __future__ import annotations

import torch

from synthgan.errors import ConfigError


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> cuda, then mps, then cpu; otherwise the named device, checked to exist."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ConfigError(f"device: unknown device {device!r}; expected 'auto', 'cpu', 'cuda[:N]' or 'mps'") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device: 'cuda' was asked for but no CUDA GPU is available; use device='auto' or 'cpu'")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("device: 'mps' was asked for but MPS is not available; use device='auto' or 'cpu'")
    return dev


def uses_amp(device: torch.device) -> bool:
    """Mixed precision on CUDA only (bfloat16 where supported)."""
    return device.type == "cuda"


def amp_dtype(device: torch.device) -> torch.dtype:
    return torch.bfloat16 if device.type == "cuda" and torch.cuda.is_bf16_supported() else torch.float16
