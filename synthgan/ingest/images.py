"""Labelled images from a folder with one sub-folder per class (PNG/JPEG), from Parquet with an
image column (a struct with PNG/JPEG ``bytes``, as Hugging Face datasets store images) and a label
column, or from numpy arrays. Grayscale or RGB, 8 to 64 pixels; padded (or resized) to a square
power of two for the networks, and cropped back on output.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from synthgan.errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
MIN_SIZE, MAX_SIZE = 8, 64


@dataclass
class ImageData:
    """``images`` uint8 (N, S, S, C) padded to ``size``; ``height``/``width`` the original size."""

    images: np.ndarray
    labels: np.ndarray
    classes: list
    height: int
    width: int

    @property
    def size(self) -> int:
        return self.images.shape[1]

    @property
    def channels(self) -> int:
        return self.images.shape[3]


def read_images(source, labels=None, resize: int | None = None) -> ImageData:
    """Images and labels from an array, a class-folder tree or a Parquet file.

    Parameters
    ----------
    source : ndarray, str or Path
        uint8 array (N, H, W) or (N, H, W, C); a folder of class folders; or a Parquet file with
        ``image`` and ``label`` columns.
    labels : array-like, optional
        Labels of an array source (all one class when absent).
    resize : int, optional
        Resize every image to ``resize`` x ``resize`` pixels instead of requiring one size.
    """
    if isinstance(source, np.ndarray):
        arr, labs = _from_array(source, labels)
    else:
        path = Path(source)
        if path.is_dir():
            arr, labs = _from_folder(path, resize)
        elif path.suffix in (".parquet", ".pq"):
            arr, labs = _from_parquet(path, resize)
        else:
            raise DataError(f"{path}: expected a folder of class folders or a Parquet file")
    h, w = arr.shape[1:3]
    if not (MIN_SIZE <= h <= MAX_SIZE and MIN_SIZE <= w <= MAX_SIZE):
        raise DataError(f"images are {h}x{w} pixels; expected {MIN_SIZE} to {MAX_SIZE} (pass resize=)")
    classes = sorted(pd.unique(labs).tolist(), key=str)
    return ImageData(pad_square(arr), np.asarray(labs), classes, h, w)


def pad_square(arr: np.ndarray) -> np.ndarray:
    """Zero-pad (N, H, W, C) to the next square power of two (centred)."""
    h, w = arr.shape[1:3]
    size = 1 << (max(h, w, MIN_SIZE) - 1).bit_length()
    top, left = (size - h) // 2, (size - w) // 2
    out = np.zeros((len(arr), size, size, arr.shape[3]), dtype=np.uint8)
    out[:, top:top + h, left:left + w] = arr
    return out


def crop(arr: np.ndarray, h: int, w: int) -> np.ndarray:
    size = arr.shape[1]
    top, left = (size - h) // 2, (size - w) // 2
    return arr[:, top:top + h, left:left + w]


def _from_array(x: np.ndarray, labels) -> tuple[np.ndarray, np.ndarray]:
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[3] not in (1, 3):
        raise DataError(f"image array: expected (N, H, W) or (N, H, W, C) with C 1 or 3, got shape {x.shape}")
    if x.dtype != np.uint8:
        raise DataError(f"image array: expected dtype uint8 (0-255), got {x.dtype}")
    labs = np.zeros(len(x), dtype=np.int64) if labels is None else np.asarray(labels)
    if len(labs) != len(x):
        raise DataError(f"labels: expected {len(x)} values, got {len(labs)}")
    return x, labs


def decode(data: bytes, name: str, resize: int | None, mode: str | None = None) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except (UnidentifiedImageError, OSError) as e:
        raise DataError(f"{name}: not a readable PNG/JPEG image ({e})") from None
    img = img.convert(mode or ("L" if img.mode in ("L", "1", "I;16", "I") else "RGB"))
    if resize:
        img = img.resize((resize, resize), Image.BILINEAR)
    arr = np.asarray(img, dtype=np.uint8)
    return arr[..., None] if arr.ndim == 2 else arr


def _stack(images: list[np.ndarray], names: list[str], resize: int | None) -> np.ndarray:
    channels = max(a.shape[2] for a in images)
    images = [np.repeat(a, 3, axis=2) if a.shape[2] < channels else a for a in images]
    sizes = {a.shape[:2] for a in images}
    if len(sizes) > 1 and not resize:
        first = images[0].shape[:2]
        odd = next(n for n, a in zip(names, images) if a.shape[:2] != first)
        raise DataError(f"images have different sizes ({sorted(sizes)}), e.g. {odd} is {images[names.index(odd)].shape[:2]} "
                        f"against {first}; pass resize= to resize them")
    return np.stack(images)


def _from_folder(path: Path, resize: int | None) -> tuple[np.ndarray, np.ndarray]:
    classes = sorted(p for p in path.iterdir() if p.is_dir())
    if not classes:
        raise DataError(f"{path}: no class folders (expected one sub-folder of images per class)")
    images, labels, names = [], [], []
    for folder in classes:
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise DataError(f"{folder}: class folder with no PNG/JPEG images")
        for f in files:
            images.append(decode(f.read_bytes(), str(f), resize))
            labels.append(folder.name)
            names.append(str(f))
    return _stack(images, names, resize), np.asarray(labels, dtype=object)


def _from_parquet(path: Path, resize: int | None) -> tuple[np.ndarray, np.ndarray]:
    df = pd.read_parquet(path)
    for col in ("image", "label"):
        if col not in df.columns:
            raise DataError(f"{path}: column {col!r} is missing; expected 'image' (struct with bytes) and 'label'")
    images, names = [], []
    for i, cell in enumerate(df["image"]):
        data = cell.get("bytes") if isinstance(cell, dict) else cell
        if not isinstance(data, (bytes, bytearray)):
            raise DataError(f"{path}: row {i} of 'image' has no PNG/JPEG bytes")
        images.append(decode(bytes(data), f"{path} row {i}", resize))
        names.append(f"row {i}")
    return _stack(images, names, resize), df["label"].to_numpy()


def encode_png(img: np.ndarray) -> bytes:
    """One uint8 (H, W, C) image as PNG bytes."""
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(img[..., 0] if img.shape[2] == 1 else img).save(buf, format="PNG")
    return buf.getvalue()


def images_from_frame(df: pd.DataFrame, column: str = "image") -> np.ndarray:
    """A frame with an image column (struct with PNG bytes) -> uint8 array (N, H, W) or (N, H, W, C)."""
    arrs = [decode(cell["bytes"] if isinstance(cell, dict) else cell, f"row {i}", None)
            for i, cell in enumerate(df[column])]
    out = np.stack(arrs) if arrs else np.zeros((0, 1, 1, 1), np.uint8)
    return out[..., 0] if out.shape[3] == 1 else out
