"""Model folders without pickle: the checks every synthesizer's ``load`` shares (the files
themselves are written and verified by :mod:`synthgan.files`)."""

from __future__ import annotations

from pathlib import Path

from synthgan.errors import ConfigError, ModelFileError
from synthgan.files import read_json, verify_folder


def read_model_config(directory: Path, fmt: str | tuple[str, ...]) -> dict:
    """``directory/config.json`` of a saved model, checked to be of format ``fmt`` (or one of them),
    after every file of the folder was checked against the manifest's SHA-256 digests."""
    if not directory.is_dir():
        raise ModelFileError(f"{directory}: not a model folder (it does not exist or is a file)")
    verify_folder(directory)
    cfg = read_json(directory / "config.json")
    formats = (fmt,) if isinstance(fmt, str) else tuple(fmt)
    if not isinstance(cfg, dict) or cfg.get("format") not in formats:
        found = cfg.get("format") if isinstance(cfg, dict) else type(cfg).__name__
        expected = " or ".join(repr(f) for f in formats)
        raise ModelFileError(f"{directory / 'config.json'}: format {found!r}, expected {expected}")
    if not isinstance(cfg.get("hyperparameters"), dict):
        raise ModelFileError(f"{directory / 'config.json'}: 'hyperparameters' must be a JSON object, got "
                             f"{cfg.get('hyperparameters')!r}")
    return cfg


class malformed_model:
    """Context manager: any error while reading a verified model folder becomes a ModelFileError
    naming the folder (a tampered file whose digest was rewritten too, or a bug in an old format)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None or isinstance(exc, ModelFileError):
            return False
        if isinstance(exc, ConfigError):
            raise ModelFileError(f"{self.directory / 'config.json'}: {exc}") from None
        if isinstance(exc, (KeyError, TypeError, ValueError, AttributeError, IndexError, RuntimeError, OSError)):
            raise ModelFileError(f"{self.directory}: malformed model folder ({type(exc).__name__}: {exc})") from None
        return False
