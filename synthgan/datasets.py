"""Data synthgan can make by itself (nothing is downloaded): sine-wave series, and scikit-learn's
bundled digits as a Parquet image dataset.

    python -m synthgan.datasets sines requests/data/sines.parquet
    python -m synthgan.datasets movements requests/data/movements.parquet
    python -m synthgan.datasets digits requests/data/digits.parquet
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from synthgan.ingest.timeseries import series_from_arrays


def sines(n: int, steps: int = 24, features: int = 5, seed: int = 0) -> np.ndarray:
    """TimeGAN's sines: x = sin(f t + p), f and p from U(0, 0.1) per series and feature, scaled to [0, 1]."""
    rng = np.random.default_rng(seed)
    freq, phase = rng.uniform(0, 0.1, (n, 1, features)), rng.uniform(0, 0.1, (n, 1, features))
    return (np.sin(freq * np.arange(steps)[None, :, None] + phase) + 1.0) / 2.0


def labelled_sines(n: int = 600, steps: int = 24, seed: int = 0) -> pd.DataFrame:
    """Long-format series of two sensors, a 'fast' or 'slow' label that sets the frequency, a
    site attribute, and lengths from 12 to ``steps``."""
    rng = np.random.default_rng(seed)
    label = rng.choice(["slow", "fast"], n, p=[0.75, 0.25])
    base = np.where(label == "slow", 0.15, 0.45)[:, None, None]
    t = np.arange(steps)[None, :, None]
    x = np.sin(base * rng.uniform(0.8, 1.2, (n, 1, 2)) * t + rng.uniform(0, 2 * np.pi, (n, 1, 2)))
    x = x * np.array([1.0, 5.0]) + np.array([0.0, 20.0]) + rng.normal(0, 0.05, x.shape)
    df = series_from_arrays(x, labels=label, lengths=rng.integers(12, steps + 1, n),
                            feature_names=["vibration", "temperature"], label_name="speed")
    df["site"] = pd.Series(rng.choice(["north", "south", "east"], n)[df["series"]], dtype="str")
    df["speed"] = df["speed"].astype("str")
    return df.rename(columns={"series": "machine"})


def movements(n: int = 100, steps: int = 150, seed: int = 0) -> pd.DataFrame:
    """A small labelled set whose classes differ in the shape of one movement, not in level or scale.

    Each series is a slow random drift plus noise with one movement of height 1 centred at a random
    step (30 to ``steps`` - 30) and 12 to 20 steps wide: a sharp ``spike`` (triangle), a flat-topped
    ``plateau`` (trapezoid), or a ``double`` (two half-width spikes). The classes share the height,
    the timing distribution and the background; a classifier must see the shape. Labels are
    balanced; one feature (``signal``) and a ``site`` attribute unrelated to the class."""
    rng = np.random.default_rng(seed)
    classes = np.array(["spike", "plateau", "double"])
    label = classes[rng.permutation(np.arange(n) % 3)]
    t = np.arange(steps)[None, :]
    centre = rng.uniform(30, steps - 30, (n, 1))
    width = rng.uniform(12, 20, (n, 1))
    d = np.abs(t - centre) / (width / 2)                                      # 0 at the centre, 1 at the edges
    spike = np.clip(1 - d, 0, None)
    plateau = np.clip(1.6 * (1 - d), 0, 1)
    half = np.clip(1 - np.abs(np.abs(t - centre) - width / 4) / (width / 4), 0, None) * (d < 1)
    move = np.where((label == "spike")[:, None], spike, np.where((label == "plateau")[:, None], plateau, half))
    drift = np.cumsum(rng.normal(0, 0.02, (n, steps)), axis=1)
    x = move + drift - drift.mean(axis=1, keepdims=True) + rng.normal(0, 0.05, (n, steps))
    df = series_from_arrays(x[:, :, None], labels=label, feature_names=["signal"], label_name="shape")
    df["shape"] = df["shape"].astype("str")
    df["site"] = pd.Series(rng.choice(["a", "b"], n)[df["series"]], dtype="str")
    return df


def digits_frame() -> pd.DataFrame:
    """scikit-learn's bundled digits as an image dataset: ``image`` (struct with PNG bytes), ``label``."""
    from sklearn.datasets import load_digits

    from synthgan.ingest.images import encode_png
    d = load_digits()
    images = (d.images * 255 / 16).round().astype(np.uint8)[..., None]
    return pd.DataFrame({"image": [{"bytes": encode_png(im)} for im in images], "label": d.target.astype(np.int64)})


MAKERS = {"sines": labelled_sines, "movements": movements, "digits": digits_frame}


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] not in MAKERS:
        raise SystemExit(f"usage: python -m synthgan.datasets {{{'|'.join(MAKERS)}}} OUT.parquet")
    out = Path(argv[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    MAKERS[argv[0]]().to_parquet(out, index=False)
    print(f"written {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
