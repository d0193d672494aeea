"""What :class:`TabularGAN`, :class:`TimeSeriesGAN` and :class:`ImageGAN` share.

scikit-learn's estimator rules, through its ``BaseEstimator``: every setting is an explicit
keyword argument of ``__init__``, which stores it unchanged and does nothing else, so
``get_params``, ``set_params``, ``sklearn.base.clone`` and a ``repr`` that shows the non-default
settings come from the signature. ``fit`` validates the settings (:meth:`Synthesizer.validate_params`:
the checks of the settings every model has are written once, here) and keeps the validated,
normalised copy it trained with as ``settings_``; learned state ends in ``_``. One sampling verb,
``sample(n, conditions=None, random_state=None)``, for every modality.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator

from synthgan.errors import ConfigError, NotFittedError
from synthgan.train.device import resolve_device
from synthgan.train.loop import TrainConfig

Check = Callable[[str, Any], Any]      # (name, value) -> the value, normalised; raises ConfigError


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def positive_int(name: str, v: Any) -> Any:
    if not _is_int(v) or v < 1:
        raise ConfigError(f"{name}: expected a positive integer, got {v!r}")
    return v


def non_negative_int(name: str, v: Any) -> Any:
    if not _is_int(v) or v < 0:
        raise ConfigError(f"{name}: expected a non-negative integer, got {v!r}")
    return v


def positive(name: str, v: Any) -> Any:
    if not _is_number(v) or not v > 0:
        raise ConfigError(f"{name}: expected a positive number, got {v!r}")
    return v


def unit(name: str, v: Any) -> Any:
    """A number in [0, 1)."""
    if not _is_number(v) or not 0.0 <= v < 1.0:
        raise ConfigError(f"{name}: expected a number in [0, 1), got {v!r}")
    return v


def non_negative(name: str, v: Any) -> Any:
    """A finite number >= 0 (a loss weight)."""
    if not _is_number(v) or not 0 <= v < math.inf:
        raise ConfigError(f"{name}: expected a non-negative number, got {v!r}")
    return v


def share(name: str, v: Any) -> Any:
    """A number strictly between 0 and 1 (a share of a budget)."""
    if not _is_number(v) or not 0 < v < 1:
        raise ConfigError(f"{name}: expected a number between 0 and 1 (exclusive), got {v!r}")
    return v


def one_of(*options: str) -> Check:
    def check(name: str, v: Any) -> Any:
        if v not in options:
            raise ConfigError(f"{name}: expected one of {', '.join(options)}, got {v!r}")
        return v
    return check


def seed(name: str, v: Any) -> Any:
    if v is not None and (not _is_int(v) or v < 0):
        raise ConfigError(f"{name}: expected None or a non-negative integer, got {v!r}")
    return v


def device(name: str, v: Any) -> Any:
    resolve_device(v)                 # an unknown or unavailable device: a ConfigError naming it
    return v


# The settings every synthesizer has (each model's signature sets its own defaults), checked one way.
COMMON_CHECKS: dict[str, Check] = {
    "epochs": positive_int, "batch_size": positive_int, "d_steps": positive_int, "lr_g": positive, "lr_d": positive,
    "ema_decay": unit, "gp_weight": non_negative, "random_state": seed, "device": device,
}
# The settings the shared adversarial trainer takes from a model's settings, where the model has them.
TRAINER_SETTINGS = ("lr_g", "lr_d", "d_steps", "gp_weight", "gp_fraction", "ema_decay", "verbose", "checkpoint_every")


class Settings(SimpleNamespace):
    """The validated, normalised settings a fit trains with (a synthesizer's ``settings_``)."""

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


class Synthesizer(BaseEstimator):
    """Base of the synthesizers. Subclasses list their settings in ``__init__`` and their checks in
    ``_checks`` (name -> check), and may check settings together in :meth:`_check_settings`."""

    _checks: ClassVar[dict[str, Check]] = {}

    def validate_params(self) -> Settings:
        """The settings, checked and normalised (as ``fit`` trains with them); a :class:`ConfigError`
        naming the first setting that is wrong. Building a model never checks: this does."""
        checks = {**COMMON_CHECKS, **self._checks}
        values = {name: checks[name](name, v) if name in checks else v
                  for name, v in self.get_params(deep=False).items()}
        settings = Settings(**values)
        self._check_settings(settings)
        return settings

    def _check_settings(self, settings: Settings) -> None:
        """Checks of several settings together (none by default)."""

    @classmethod
    def from_settings(cls, saved: Mapping[str, Any], **override: Any) -> "Synthesizer":
        """A model built from settings saved in a model folder: names the model no longer takes are
        left out, ones it gained since take their defaults; ``settings_`` is validated."""
        names = set(cls._get_param_names())
        model = cls(**{k: v for k, v in {**saved, **override}.items() if k in names})
        model.settings_ = model.validate_params()
        return model

    # ------------------------------------------------------------------ fitted state
    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "generator_")

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            name = type(self).__name__
            raise NotFittedError(f"this {name} is not fitted: call fit(...) or {name}.load(folder) first")

    # ------------------------------------------------------------------ randomness
    @staticmethod
    def _fit_seed(settings: Settings) -> int:
        """The seed of a fit: ``random_state``, or fresh entropy (then saved with the model)."""
        if settings.random_state is not None:
            return int(settings.random_state)
        return int(np.random.SeedSequence().entropy % 2**63)

    def _sample_stream(self, random_state: int | None) -> np.random.SeedSequence:
        """The seed sequence of one sampling call: ``random_state``'s, or the next of the stream
        seeded at fit (successive calls without a seed continue it)."""
        return np.random.SeedSequence(random_state) if random_state is not None else self._sample_seq_.spawn(1)[0]

    @staticmethod
    def _check_count(n: Any, name: str = "n") -> int:
        if not _is_int(n) or n < 0:
            raise ConfigError(f"{name}: expected a non-negative integer, got {n!r}")
        return int(n)

    @staticmethod
    def _trainer_config(settings: Settings, epochs: int, steps_per_epoch: int, **overrides: Any) -> TrainConfig:
        """The shared trainer's settings: the model's own where it has them, then ``overrides``."""
        shared = {k: getattr(settings, k) for k in TRAINER_SETTINGS if hasattr(settings, k)}
        return TrainConfig(epochs=epochs, steps_per_epoch=steps_per_epoch, **{**shared, **overrides})


def torch_generator(seq: np.random.SeedSequence, device: torch.device) -> torch.Generator:
    """A torch generator on ``device`` seeded from ``seq`` (never the global RNG)."""
    g = torch.Generator(device=device)
    g.manual_seed(int(seq.generate_state(1, dtype=np.uint64)[0] % (2**63)))
    return g
