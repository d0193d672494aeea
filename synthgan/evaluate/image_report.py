"""The HTML report of an image evaluation: the verdict, scores, the contract, real and generated
samples per class, loss curves and the run's metadata."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from synthgan.evaluate.plots import to_png
from synthgan.evaluate.run_report import (PAGE_END, RunContext, contract_section, img, metadata_section, page_start,
                                          table, training_section, verdict)

PER_CLASS = 8


def sample_grid(real: tuple[np.ndarray, np.ndarray], synth: tuple[np.ndarray, np.ndarray], classes: list,
                seed: int = 0) -> str:
    """One row per class: real images on the left, generated ones on the right."""
    rng = np.random.default_rng(seed)
    rows = classes[:20]
    fig = Figure(figsize=(2 * PER_CLASS * 0.55 + 0.5, len(rows) * 0.6 + 0.6))
    for r, c in enumerate(rows):
        for side, (imgs, labels) in enumerate((real, synth)):
            pool = np.flatnonzero(np.asarray([str(v) for v in labels]) == str(c))
            pick = rng.choice(pool, min(PER_CLASS, len(pool)), replace=False) if len(pool) else []
            for k, i in enumerate(pick):
                ax = fig.add_subplot(len(rows), 2 * PER_CLASS + 1, r * (2 * PER_CLASS + 1) + side * (PER_CLASS + 1) + k + 1)
                im = imgs[i]
                ax.imshow(im if im.ndim == 3 and im.shape[2] == 3 else np.squeeze(im), cmap="gray", vmin=0, vmax=255)
                ax.set_axis_off()
                if k == 0 and side == 0:
                    ax.set_title(str(c), fontsize=7, loc="left")
    fig.suptitle("real (left) and generated (right), one row per class", fontsize=9)
    return to_png(fig)


def render_image_report(scores: dict, real, synth, classes: list, gates: list, title: str, *,
                        run: RunContext | None = None) -> str:
    """The whole page as a string; ``run`` (the pipeline run) adds the outcome, contract, losses and metadata."""
    rows = [["conditional accuracy (real-trained CNN labels generated images)", scores["conditional_accuracy"]],
            ["classification accuracy score (trained on synthetic, tested on real)", scores["cas"]],
            ["accuracy trained on real", scores["real_accuracy"]], ["CAS / real", scores["cas_ratio"]],
            ["Frechet distance (CNN features), synthetic vs real holdout", scores["frechet_distance"]],
            ["Frechet distance, real training vs real holdout (floor)", scores["frechet_distance_real"]]]
    rows += [[f"diversity ratio, class {k}", v] for k, v in scores["diversity_ratio"].items()]
    parts = [page_start(title, run), verdict(gates, run), table(["measure", "value"], rows), contract_section(run),
             "<h2>Samples</h2>", img(sample_grid(real, synth, classes), "samples"),
             training_section(run), metadata_section(run), PAGE_END]
    return "\n".join(p for p in parts if p)
