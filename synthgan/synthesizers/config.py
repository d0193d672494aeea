"""Checks shared by the synthesizers' hyperparameter dataclasses (one wording for every model)."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from synthgan.errors import ConfigError
from synthgan.train.device import resolve_device


def check_known(config_cls: type, given: dict[str, Any]) -> None:
    """Every name in ``given`` is a field of ``config_cls``."""
    known = set(config_cls.__dataclass_fields__)
    unknown = sorted(set(given) - known)
    if unknown:
        raise ConfigError(f"unknown hyperparameter(s) {unknown}; expected some of {sorted(known)}")


def check_common(cfg: Any, positive_ints: Iterable[str], positive: Iterable[str] = ("lr_g", "lr_d"),
                 unit: Iterable[str] = ("ema_decay",), non_negative: Iterable[str] = ()) -> None:
    """Positive integers, positive numbers, numbers in [0, 1), finite numbers >= 0 (loss weights),
    the seed and the device."""
    for name in positive_ints:
        v = getattr(cfg, name)
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
            raise ConfigError(f"{name}: expected a positive integer, got {v!r}")
    for name in positive:
        if not getattr(cfg, name) > 0:
            raise ConfigError(f"{name}: expected a positive number, got {getattr(cfg, name)!r}")
    for name in unit:
        if not 0.0 <= getattr(cfg, name) < 1.0:
            raise ConfigError(f"{name}: expected a number in [0, 1), got {getattr(cfg, name)!r}")
    for name in non_negative:
        v = getattr(cfg, name)
        if not isinstance(v, (int, float, np.integer, np.floating)) or isinstance(v, bool) or not 0 <= v < float("inf"):
            raise ConfigError(f"{name}: expected a non-negative number, got {v!r}")
    seed = cfg.random_state
    if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0):
        raise ConfigError(f"random_state: expected None or a non-negative integer, got {seed!r}")
    resolve_device(cfg.device)
