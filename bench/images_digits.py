"""ImageGAN on scikit-learn's bundled digits (8x8 grayscale, 10 classes; nothing downloaded).

Digits are split 70/30 (stratified, seed 0); the GAN trains on the 70% for ``--epochs`` epochs;
2,000 images are sampled at the real class frequencies and scored by synthgan.evaluate.images:
conditional accuracy (a CNN trained on the real training digits labels the generated ones),
classification accuracy score (the same CNN trained on synthetic digits, tested on the real 30%,
against one trained on real digits), Frechet distance in that CNN's features, per-class diversity.
The same fit without the mode-seeking term (``mode_seeking=0``) runs after it as the baseline.

    python bench/images_digits.py --epochs 150
writes bench/results/images_digits.json. Targets: conditional accuracy >= 0.95 and CAS >= 0.9 of
the real-trained accuracy, within 10 minutes of CPU training.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
from synthgan.evaluate.images import evaluate_images  # noqa: E402
from synthgan.synthesizers.image import ImageGAN  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=150)
    p.add_argument("--samples", type=int, default=2000)
    p.add_argument("--out", default=str(ROOT / "results" / "images_digits.json"))
    p.add_argument("--no-ablation", action="store_true", help="skip the run without mode seeking")
    a = p.parse_args()
    d = load_digits()
    images = (d.images * 255 / 16).round().astype(np.uint8)
    xtr, xho, ytr, yho = train_test_split(images, d.target, test_size=0.3, stratify=d.target, random_state=0)

    def run(**hp):
        t0 = time.perf_counter()
        gan = ImageGAN(epochs=a.epochs, random_state=0, verbose=True, **hp).fit(xtr, ytr)
        train_s = time.perf_counter() - t0
        xs, ys = gan.sample_array(a.samples, random_state=1)
        return gan, train_s, evaluate_images(xtr, ytr, xho, yho, xs[..., 0], ys.astype(int), list(range(10)),
                                             seed=0).to_dict()

    gan, train_s, ev = run()
    out = {"setup": {"train_images": len(xtr), "holdout_images": len(xho), "epochs": a.epochs,
                     "samples": a.samples, "device": str(gan.device_), "mode_seeking": gan.settings_.mode_seeking},
           "train_seconds": train_s, "scores": ev,
           "targets": {"conditional_accuracy_min": 0.95, "cas_ratio_min": 0.9, "train_seconds_max": 600},
           "met": {"conditional_accuracy": ev["conditional_accuracy"] >= 0.95, "cas_ratio": ev["cas_ratio"] >= 0.9,
                   "time": train_s <= 600}}
    if not a.no_ablation:               # the same fit without the mode-seeking term, in the same script
        _, base_s, base = run(mode_seeking=0.0)
        div = lambda e: float(np.mean(list(e["diversity_ratio"].values())))  # noqa: E731
        out["ablation_no_mode_seeking"] = {"train_seconds": base_s, "scores": base}
        out["ratios_vs_ablation"] = {"cas_ratio": ev["cas_ratio"] / base["cas_ratio"],
                                     "mean_diversity_ratio": div(ev) / div(base),
                                     "frechet_distance": ev["frechet_distance"] / base["frechet_distance"],
                                     "train_seconds": train_s / base_s}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
