"""Matplotlib figures of an evaluation, returned as base64 PNG for inlining in the HTML report.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot): no global state, no GUI backend.
"""

from __future__ import annotations

import base64
import io
import math

import numpy as np
from matplotlib.figure import Figure

from synthgan.evaluate.fidelity import PairCodes, association_matrix
from synthgan.evaluate.frames import Tables

REAL, SYNTH = "#1f77b4", "#ff7f0e"
TOP_LEVELS = 10


def to_png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def marginals(tables: Tables, shapes: dict[str, float]) -> str:
    """One panel per column: overlaid histograms (numeric) or paired bars (discrete)."""
    cols = tables.columns
    ncols = 4
    nrows = math.ceil(len(cols) / ncols)
    fig = Figure(figsize=(4.2 * ncols, 3.0 * nrows))
    real, synth = tables.views["train"], tables.views["synthetic"]
    for k, name in enumerate(cols):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        if name in tables.numeric:
            j = tables.numeric.index(name)
            _hist(ax, real.num[:, j], synth.num[:, j], tables.schema[name].kind.value == "datetime")
        else:
            j = tables.discrete.index(name)
            _bars(ax, real.cat[:, j], synth.cat[:, j], tables.levels[name])
        ax.set_title(f"{name}  (shape {shapes.get(name, float('nan')):.2f})", fontsize=9)
        ax.tick_params(labelsize=7)
    fig.legend(handles=[_patch(REAL, "real (train)"), _patch(SYNTH, "synthetic")], loc="upper right")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return to_png(fig)


def _patch(color: str, label: str):
    from matplotlib.patches import Patch
    return Patch(color=color, alpha=0.6, label=label)


def _hist(ax, r: np.ndarray, s: np.ndarray, is_datetime: bool) -> None:
    r, s = r[~np.isnan(r)], s[~np.isnan(s)]
    if len(r) == 0:
        return
    lo, hi = np.percentile(np.r_[r, s] if len(s) else r, [0.5, 99.5])
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    bins = np.linspace(lo, hi, 41)
    if is_datetime:                      # seconds -> days since 1970, shown as dates
        import matplotlib.dates as mdates
        from matplotlib.ticker import MaxNLocator
        r, s, bins = r / 86400.0, s / 86400.0, bins / 86400.0
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
        ax.xaxis.set_major_locator(MaxNLocator(3))
    ax.hist(r, bins=bins, density=True, alpha=0.55, color=REAL)
    if len(s):
        ax.hist(s, bins=bins, density=True, alpha=0.55, color=SYNTH)
    ax.set_yticks([])


def _bars(ax, r: np.ndarray, s: np.ndarray, levels: list) -> None:
    n = len(levels)
    pr = np.bincount(r, minlength=n) / len(r)
    ps = np.bincount(s, minlength=n) / max(len(s), 1)
    order = np.argsort(-pr, kind="stable")
    top = order[:TOP_LEVELS]
    names = ["(null)" if levels[i] is None else str(levels[i])[:18] for i in top]
    vr, vs = list(pr[top]), list(ps[top])
    if n > TOP_LEVELS:
        names.append(f"({n - TOP_LEVELS} others)")
        vr.append(1 - sum(vr))
        vs.append(1 - sum(vs))
    y = np.arange(len(names))
    ax.barh(y - 0.2, vr, height=0.4, color=REAL, alpha=0.8)
    ax.barh(y + 0.2, vs, height=0.4, color=SYNTH, alpha=0.8)
    ax.set_yticks(y, names)
    ax.invert_yaxis()


def heatmaps(tables: Tables) -> str:
    """Association (Pearson r for numeric pairs, Cramér's V otherwise): real, synthetic, |difference|."""
    binner = PairCodes(tables, tables.views["train"])
    a_real = association_matrix(tables, tables.views["train"], binner)
    a_syn = association_matrix(tables, tables.views["synthetic"], binner)
    names = tables.columns
    size = max(4.0, 0.35 * len(names) + 2)
    fig = Figure(figsize=(3 * size, size))
    panels = [("real (train)", a_real, "coolwarm", -1), ("synthetic", a_syn, "coolwarm", -1),
              ("|real - synthetic|", np.abs(a_real - a_syn), "Reds", 0)]
    for k, (title, m, cmap, vmin) in enumerate(panels):
        ax = fig.add_subplot(1, 3, k + 1)
        im = ax.imshow(m, cmap=cmap, vmin=vmin, vmax=1)
        ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
        ax.set_yticks(range(len(names)), names if k == 0 else [""] * len(names), fontsize=7)
        ax.set_title(title, fontsize=10)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return to_png(fig)


def dcr_histogram(d_syn: np.ndarray, d_hold: np.ndarray) -> str:
    """Distances to the closest training row: synthetic rows against real holdout rows."""
    fig = Figure(figsize=(7, 3.2))
    ax = fig.add_subplot(1, 1, 1)
    hi = np.percentile(np.r_[d_syn, d_hold], 99) if len(d_syn) else 1.0
    bins = np.linspace(0, max(hi, 1e-9), 50)
    ax.hist(np.minimum(d_hold, hi), bins=bins, alpha=0.55, color=REAL, label="real holdout → train")
    ax.hist(np.minimum(d_syn, hi), bins=bins, alpha=0.55, color=SYNTH, label="synthetic → train")
    ax.set_xlabel("distance to closest training record")
    ax.set_ylabel("rows")
    ax.legend()
    fig.tight_layout()
    return to_png(fig)
