"""Model folders without pickle: safetensors weights, JSON config/state, a manifest."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from synthgan.errors import ModelFileError

if TYPE_CHECKING:
    import torch


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("synthgan", "torch", "numpy", "pandas", "pyarrow", "scikit-learn"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "unknown"
    return out


def fingerprint_frame(df: pd.DataFrame) -> str:
    """A content hash of a DataFrame (values, column names and dtypes)."""
    h = hashlib.sha256()
    h.update(json.dumps([[str(c), str(t)] for c, t in df.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


def write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def read_json(path: Path) -> Any:
    if not path.exists():
        raise ModelFileError(f"{path}: missing; a saved model folder needs it")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ModelFileError(f"{path}: malformed JSON ({e})") from None


def save_weights(path: Path, state: dict[str, "torch.Tensor"]) -> None:
    from safetensors.torch import save_file      # here: reading JSON needs no torch
    save_file({k: v.detach().contiguous().cpu() for k, v in state.items()}, str(path))


def load_weights(path: Path, device: "torch.device") -> dict[str, "torch.Tensor"]:
    if not path.exists():
        raise ModelFileError(f"{path}: missing; a saved model folder needs its weights")
    from safetensors.torch import load_file
    return load_file(str(path), device=str(device))


def read_model_config(directory: Path, fmt: str) -> dict:
    """``directory/config.json`` of a saved model, checked to be of format ``fmt``."""
    from synthgan.errors import ModelFileError
    if not directory.is_dir():
        raise ModelFileError(f"{directory}: not a model folder (it does not exist or is a file)")
    cfg = read_json(directory / "config.json")
    if cfg.get("format") != fmt:
        raise ModelFileError(f"{directory / 'config.json'}: format {cfg.get('format')!r}, expected {fmt!r}")
    return cfg


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` under a temporary name beside ``path``, then rename over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class AtomicFolder:
    """Write a folder under a temporary name beside ``target``; rename on success, delete on error."""

    def __init__(self, target: str | os.PathLike, overwrite: bool = True) -> None:
        self.target = Path(target)
        self.overwrite = overwrite

    def __enter__(self) -> Path:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        if self.target.exists() and not self.overwrite:
            raise FileExistsError(f"{self.target}: already exists")
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.tmp-", dir=self.target.parent))
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
            self.target.rename(old)
            self.tmp.rename(self.target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            self.tmp.rename(self.target)
