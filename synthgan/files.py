"""Files written so that a reader never sees half of one: atomic text, JSON and folders, SHA-256
manifests, safetensors weights (never pickle), and the output checks of the CLI.

The ground floor of the house: anything may use it, it uses nothing of synthgan but its errors."""

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

from synthgan.errors import ModelFileError, OutputError

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
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelFileError(f"{path}: malformed JSON ({e})") from None


MANIFEST = "manifest.json"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_manifest(folder: Path, manifest: dict) -> None:
    """Write ``folder/manifest.json`` with the SHA-256 of every other file under ``folder``
    (``sha256``: relative path -> digest), so that :func:`verify_folder` can tell a damaged model."""
    sums = {p.relative_to(folder).as_posix(): file_sha256(p)
            for p in sorted(folder.rglob("*")) if p.is_file() and p != folder / MANIFEST}
    write_json(folder / MANIFEST, {**manifest, "sha256": sums})


def verify_folder(directory: Path) -> dict:
    """The manifest of a model folder, after checking every file it lists against its SHA-256.

    Raises :class:`ModelFileError` naming the file that is missing or differs. Folders written
    before the manifest held digests are read as they are."""
    manifest = read_json(directory / MANIFEST)
    sums = manifest.get("sha256") if isinstance(manifest, dict) else None
    if not isinstance(manifest, dict) or (sums is not None and not isinstance(sums, dict)):
        raise ModelFileError(f"{directory / MANIFEST}: expected a JSON object with a 'sha256' mapping")
    for rel, digest in (sums or {}).items():
        path = directory / rel
        if ".." in Path(rel).parts or not path.is_file():
            raise ModelFileError(f"{path}: listed in {MANIFEST} but missing")
        if file_sha256(path) != digest:
            raise ModelFileError(f"{path}: SHA-256 differs from {MANIFEST}: the file was changed or truncated "
                                 "since the model was saved")
    return manifest


def save_weights(path: Path, state: dict[str, "torch.Tensor"]) -> None:
    from safetensors.torch import save_file      # here: reading JSON needs no torch
    save_file({k: v.detach().contiguous().cpu() for k, v in state.items()}, str(path))


def load_weights(path: Path, device: "torch.device") -> dict[str, "torch.Tensor"]:
    if not path.exists():
        raise ModelFileError(f"{path}: missing; a saved model folder needs its weights")
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    try:
        return load_file(str(path), device=str(device))
    except (SafetensorError, OSError, ValueError) as e:
        raise ModelFileError(f"{path}: not a readable safetensors file ({e})") from None


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` under a temporary name beside ``path``, then rename over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path.name), dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, file_mode())                      # an ordinary file, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def check_output(path: str | os.PathLike, force: bool = False, folder: bool = True) -> Path:
    """The absolute output path, after refusing to replace what the user has.

    A folder output may be new or an empty folder; a file output may be new. Anything else needs
    ``force`` (then the writer replaces it atomically). Never allowed, even with ``force``: a file
    where a folder is wanted (or the reverse), and the current folder, one above it, the home
    folder or the root, which replacing would destroy.
    """
    path = Path(path).expanduser().resolve()
    cwd = Path.cwd().resolve()
    if path == cwd or path in cwd.parents or path == Path.home().resolve() or path == Path(path.anchor):
        raise OutputError(f"{path}: refusing to write over the current folder, a folder above it, the home "
                          "folder or the root; name a new folder")
    if not path.exists():
        return path
    if folder and not path.is_dir():
        raise OutputError(f"{path}: is a file; expected a folder to write into")
    if not folder and path.is_dir():
        raise OutputError(f"{path}: is a folder; expected a file name (e.g. {path / 'out.parquet'})")
    if force or (folder and not any(path.iterdir())):
        return path
    what = "folder exists and is not empty" if folder else "file exists"
    raise OutputError(f"{path}: {what}; pass --force to replace it")


def temp_prefix(name: str) -> str:
    """Prefix of the temporary files and folders this process writes beside ``name``: it carries
    the process id, so a later run can tell a crashed writer's leftovers (see synthgan.steps.housekeeping)."""
    return f".{name}.tmp-{os.getpid()}-"


def file_mode(folder: bool = False) -> int:
    """The mode of an ordinary new file (0666) or folder (0777) less the umask; mkstemp and mkdtemp
    create private ones (0600/0700)."""
    mask = os.umask(0)                               # reading the umask means setting it: put it back
    os.umask(mask)
    return (0o777 if folder else 0o666) & ~mask


def umask_modes(folder: Path) -> None:
    """Give ``folder`` and everything in it the modes of ordinary new files and folders (0666/0777
    less the umask): temporary files are created private (0600/0700) and would stay so."""
    modes = {True: file_mode(folder=True), False: file_mode()}
    for p in [folder, *folder.rglob("*")]:
        if not p.is_symlink():
            p.chmod(modes[p.is_dir()])


class AtomicFolder:
    """Write a folder under a temporary name beside ``target``; rename on success, delete on error.

    ``shared``: give the result ordinary (umask) permissions, as for published data; otherwise it
    stays private to its owner (0700), as a temporary folder is created.
    """

    def __init__(self, target: str | os.PathLike, overwrite: bool = True, shared: bool = False) -> None:
        self.target = Path(target).absolute()          # "." has no name to put a temporary one beside
        self.overwrite = overwrite
        self.shared = shared

    def __enter__(self) -> Path:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        if self.target.exists() and not self.overwrite:
            raise FileExistsError(f"{self.target}: already exists")
        self.tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(self.target.name), dir=self.target.parent))
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        if self.shared:
            umask_modes(self.tmp)
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
            self.target.rename(old)
            self.tmp.rename(self.target)
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)
        else:
            self.tmp.rename(self.target)
