"""The HTML report of a time-series evaluation: the verdict, scores, the contract, real and synthetic
traces side by side, autocorrelation by lag, loss curves and the run's metadata."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from synthgan.evaluate.plots import REAL, SYNTH, to_png
from synthgan.evaluate.run_report import (PAGE_END, RunContext, contract_section, differential_privacy_section, img,
                                          metadata_section, page_start, table, training_section, verdict)
from synthgan.ingest.timeseries import SeriesData

if TYPE_CHECKING:
    from synthgan.evaluate.timeseries import SeriesEvaluation

TRACES = 6
CLASSES = 6          # per-class traces: the most common classes, up to this many


def traces(real: SeriesData, synth: SeriesData, seed: int = 0) -> str:
    """For each feature (up to 4): a few real series on the left, synthetic ones on the right."""
    feats = real.features[:4]
    rng = np.random.default_rng(seed)
    fig = Figure(figsize=(10, 2.2 * len(feats)))
    for row, name in enumerate(feats):
        j = real.features.index(name)
        for col, (data, colour, label) in enumerate(((real, REAL, "real"), (synth, SYNTH, "synthetic"))):
            ax = fig.add_subplot(len(feats), 2, 2 * row + col + 1)
            for i in rng.choice(len(data.lengths), min(TRACES, len(data.lengths)), replace=False):
                ax.plot(data.values[i, : data.lengths[i], j], color=colour, alpha=0.7, lw=1)
            ax.set_title(f"{name}: {label}", fontsize=9)
            ax.tick_params(labelsize=7)
    fig.tight_layout()
    return to_png(fig)


def class_figure(real: SeriesData, synth: SeriesData, label: str, seed: int = 0) -> Figure | None:
    """The picture a reviewer looks at first: for each class of ``label`` (the most common, up to
    CLASSES), a few real series of that class on the left and synthetic ones of the same class on
    the right, on the same axes (first feature). None when the label is not a static column."""
    if label not in real.static.columns or label not in synth.static.columns:
        return None
    j = 0
    real_lab, synth_lab = real.static[label].astype(str).to_numpy(), synth.static[label].astype(str).to_numpy()
    values, counts = np.unique(real_lab, return_counts=True)
    classes = values[np.argsort(-counts, kind="stable")][:CLASSES]
    rng = np.random.default_rng(seed)
    fig = Figure(figsize=(10, 2.0 * len(classes)))
    for row, cls in enumerate(classes):
        axes = [fig.add_subplot(len(classes), 2, 2 * row + col + 1) for col in (0, 1)]
        for ax, (data, labs, colour, side) in zip(axes, ((real, real_lab, REAL, "real"),
                                                         (synth, synth_lab, SYNTH, "synthetic"))):
            members = np.flatnonzero(labs == cls)
            for i in rng.choice(members, min(TRACES, len(members)), replace=False) if len(members) else []:
                ax.plot(data.values[i, : data.lengths[i], j], color=colour, alpha=0.7, lw=1)
            ax.set_title(f"{label} = {cls}: {side} ({len(members)} series)", fontsize=9)
            ax.tick_params(labelsize=7)
        lo = min(a.get_ylim()[0] for a in axes)
        hi = max(a.get_ylim()[1] for a in axes)
        for ax in axes:
            ax.set_ylim(lo, hi)
    fig.suptitle(f"{real.features[j]} by {label}", fontsize=10)
    fig.tight_layout()
    return fig


def per_class(real: SeriesData, synth: SeriesData, label: str | None) -> list[str]:
    fig = class_figure(real, synth, label) if label else None
    return [] if fig is None else [f"<h2>Series by class ({label})</h2>", img(to_png(fig), f"series by {label}")]


def acf_plot(ev: "SeriesEvaluation", features: list[str]) -> str:
    fig = Figure(figsize=(10, 2.6))
    n = min(len(ev.acf_real), len(ev.acf_synthetic))
    for k, name in enumerate(features[:4]):
        ax = fig.add_subplot(1, min(len(features), 4), k + 1)
        lags = np.arange(1, n + 1)
        ax.plot(lags, ev.acf_real[:n, k], "o-", color=REAL, label="real")
        ax.plot(lags, ev.acf_synthetic[:n, k], "s--", color=SYNTH, label="synthetic")
        ax.set_title(f"autocorrelation: {name}", fontsize=9)
        ax.set_xlabel("lag", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.axes[0].legend(fontsize=7)
    fig.tight_layout()
    return to_png(fig)


def render_series_report(ev: "SeriesEvaluation", real: SeriesData, synth: SeriesData, gates: list,
                         title: str = "Synthetic time-series evaluation", *, run: RunContext | None = None,
                         dp: dict | None = None, label: str | None = None) -> str:
    """The whole page as a string; ``run`` (the pipeline run) adds the outcome, contract, losses and
    metadata, ``dp`` (the model's privacy_spent_) what its training spent of a DP budget, ``label``
    (a static column) real and synthetic series side by side for each of its classes."""
    d = ev.to_dict()
    memo = d.get("memorisation") or {}
    rows = [["discriminative score, strong judge (ROCKET + ridge; |accuracy - 0.5|, 0 = indistinguishable)",
             d.get("discriminative_score_strong")],
            ["discriminative score, TimeGAN's paper-sized GRU", d["discriminative_score"]],
            ["predictive score, trained on synthetic (MAE on real)", d["predictive_score_synthetic"]],
            ["predictive score, trained on real", d["predictive_score_real"]],
            ["predictive ratio (synthetic / real)", d["predictive_ratio"]],
            ["autocorrelation gap (mean |real - synthetic|, lags 1-10)", d["autocorrelation_gap"]],
            ["length distribution (KS complement)", d["length_shape"]]]
    rows += [[f"feature {k} (KS complement)", v] for k, v in d["feature_shapes"].items()]
    rows += [[f"static {k} (shape)", v] for k, v in d["static_shapes"].items()]
    if d.get("label_accuracy"):
        rows += [[f"label accuracy (ROCKET + ridge), {k.upper()}", v] for k, v in d["label_accuracy"].items()]
        rows += [["label accuracy ratio (TSTR / TRTR)", d.get("label_accuracy_ratio")]]
    if memo:
        rows += [["distance to closest training series, 5th percentile: synthetic / holdout",
                  f"{memo['dcr_synthetic_p5']:.4g} / {memo['dcr_holdout_p5']:.4g}"],
                 ["DCR ratio (p5, synthetic / holdout; below 1 = closer than new real series)", memo["dcr_p5_ratio"]],
                 ["synthetic series copying a training series", memo["exact_copies"]],
                 ["membership-inference AUC (distance attack; 0.5 = no signal)", memo.get("mia_auc")]]
    parts = [page_start(title, run), verdict(gates, run),
             f"<p class='note'>{len(real.lengths)} real and {len(synth.lengths)} synthetic series, "
             f"{len(real.features)} features, up to {real.max_len} steps.</p>",
             table(["measure", "value"], rows), differential_privacy_section(dp) if run is not None or dp else "", contract_section(run),
             *per_class(real, synth, label),
             "<h2>Traces</h2>", img(traces(real, synth), "traces"),
             "<h2>Autocorrelation</h2>", img(acf_plot(ev, real.features), "autocorrelation"),
             training_section(run), metadata_section(run), PAGE_END]
    return "\n".join(p for p in parts if p)
