"""Data synthgan can make by itself (nothing is downloaded): sine-wave series, and scikit-learn's
bundled digits as a Parquet image dataset.

    python -m synthgan.datasets sines requests/data/sines.parquet
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


def digits_frame() -> pd.DataFrame:
    """scikit-learn's bundled digits as an image dataset: ``image`` (struct with PNG bytes), ``label``."""
    from sklearn.datasets import load_digits

    from synthgan.ingest.images import encode_png
    d = load_digits()
    images = (d.images * 255 / 16).round().astype(np.uint8)[..., None]
    return pd.DataFrame({"image": [{"bytes": encode_png(im)} for im in images], "label": d.target.astype(np.int64)})


MAKERS = {"sines": labelled_sines, "digits": digits_frame}


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] not in MAKERS:
        raise SystemExit(f"usage: python -m synthgan.datasets {{{'|'.join(MAKERS)}}} OUT.parquet")
    out = Path(argv[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    MAKERS[argv[0]]().to_parquet(out, index=False)
    print(f"written {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
