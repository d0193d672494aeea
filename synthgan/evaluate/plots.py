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
    """One panel per column: overlaid histograms (numeric) or paired bars (discrete).

    A numeric column with a point mass (one value holding at least :data:`SPIKE_SHARE` of the real
    rows, e.g. capital-gain's zeros) gets a bar of that value's share beside a histogram of the
    other values; a histogram whose tallest bin dwarfs the rest gets a log scale, so tails show.
    """
    cols = tables.columns
    ncols = 4
    nrows = math.ceil(len(cols) / ncols)
    fig = Figure(figsize=(4.2 * ncols, 3.0 * nrows))
    grid = fig.add_gridspec(nrows, ncols)
    real, synth = tables.views["train"], tables.views["synthetic"]
    for k, name in enumerate(cols):
        cell = grid[k // ncols, k % ncols]
        title = f"{name}  (shape {shapes.get(name, float('nan')):.2f})"
        if name in tables.numeric:
            j = tables.numeric.index(name)
            _numeric_panel(fig, cell, real.num[:, j], synth.num[:, j],
                           tables.schema[name].kind.value == "datetime", title)
        else:
            j = tables.discrete.index(name)
            ax = fig.add_subplot(cell)
            _bars(ax, real.cat[:, j], synth.cat[:, j], tables.levels[name])
            ax.set_title(title, fontsize=9)
            ax.tick_params(labelsize=7)
    fig.legend(handles=[_patch(REAL, "real (train)"), _patch(SYNTH, "synthetic")], loc="upper right")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return to_png(fig)


def _patch(color: str, label: str):
    from matplotlib.patches import Patch
    return Patch(color=color, alpha=0.6, label=label)


SPIKE_SHARE = 0.25        # a value this common among the real rows is drawn as its own bar
SPIKE_MIN_VALUES = 20     # ...when the column has at least this many distinct values (else it is a histogram)
LOG_RATIO = 30.0          # log scale when the tallest bin is this many times the median non-empty bin


def spike(r: np.ndarray) -> float | None:
    """The value holding at least :data:`SPIKE_SHARE` of ``r`` (NaN dropped), or None."""
    r = r[~np.isnan(r)]
    if len(r) == 0:
        return None
    values, counts = np.unique(r, return_counts=True)
    if len(values) < SPIKE_MIN_VALUES:
        return None
    top = int(np.argmax(counts))
    return float(values[top]) if counts[top] >= SPIKE_SHARE * len(r) else None


def _numeric_panel(fig: Figure, cell, r: np.ndarray, s: np.ndarray, is_datetime: bool, title: str) -> None:
    r, s = r[~np.isnan(r)], s[~np.isnan(s)]
    v = None if is_datetime else spike(r)
    if v is None:
        ax = fig.add_subplot(cell)
        _hist(ax, r, s, is_datetime)
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7)
        return
    sub = cell.subgridspec(1, 2, width_ratios=[1, 4], wspace=0.3)
    left, right = fig.add_subplot(sub[0]), fig.add_subplot(sub[1])
    shares = [np.mean(r == v), np.mean(s == v) if len(s) else 0.0]
    left.bar([0, 1], shares, color=[REAL, SYNTH], alpha=0.8)
    for x, share in enumerate(shares):
        left.text(x, share, f"{share:.0%}", ha="center", va="bottom", fontsize=7)
    left.set_ylim(0, 1.15)
    left.set_xticks([0, 1], ["real", "syn"])
    left.set_yticks([])
    left.set_title(f"= {v:g}", fontsize=8)
    left.tick_params(labelsize=7)
    _hist(right, r[r != v], s[s != v], False)
    right.set_title(f"{title}, other values", fontsize=9)
    right.tick_params(labelsize=7)


def _hist(ax, r: np.ndarray, s: np.ndarray, is_datetime: bool) -> None:
    r, s = r[~np.isnan(r)], s[~np.isnan(s)]
    if len(r) == 0:
        return
    lo, hi = np.percentile(np.r_[r, s] if len(s) else r, [0.5, 99.5])
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    bins = np.linspace(lo, hi, 41)
    counts = np.histogram(r, bins=bins)[0]
    filled = counts[counts > 0]
    log = len(filled) > 3 and counts.max() > LOG_RATIO * np.median(filled)
    if is_datetime:                      # seconds -> days since 1970, shown as dates
        import matplotlib.dates as mdates
        from matplotlib.ticker import MaxNLocator
        r, s, bins = r / 86400.0, s / 86400.0, bins / 86400.0
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
        ax.xaxis.set_major_locator(MaxNLocator(3))
    ax.hist(r, bins=bins, density=True, alpha=0.55, color=REAL, log=log)
    if len(s):
        ax.hist(s, bins=bins, density=True, alpha=0.55, color=SYNTH, log=log)
    ax.set_yticks([])
    ax.set_yticks([], minor=True)
    if log:
        ax.set_ylabel("log scale", fontsize=7)


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
    """Association (Pearson r for numeric pairs, Cramér's V otherwise), each cell's value printed:
    real and synthetic side by side, their |difference| below."""
    binner = PairCodes(tables, tables.views["train"])
    a_real = association_matrix(tables, tables.views["train"], binner)
    a_syn = association_matrix(tables, tables.views["synthetic"], binner)
    names = tables.columns
    size = max(7.5, 0.4 * len(names) + 2)       # ~0.4 in a cell, so the printed values stay legible
    fig = Figure(figsize=(2 * size, 2 * size))
    grid = fig.add_gridspec(2, 4)
    panels = [(grid[0, 0:2], "real (train)", a_real, "coolwarm", -1),
              (grid[0, 2:4], "synthetic", a_syn, "coolwarm", -1),
              (grid[1, 1:3], "|real - synthetic|", np.abs(a_real - a_syn), "Reds", 0)]
    for cell, title, m, cmap, vmin in panels:
        ax = fig.add_subplot(cell)
        im = ax.imshow(m, cmap=cmap, vmin=vmin, vmax=1)
        _cell_numbers(ax, m, 7)
        ax.set_xticks(range(len(names)), names, rotation=90, fontsize=8)
        ax.set_yticks(range(len(names)), names, fontsize=8)
        ax.set_title(title, fontsize=11)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return to_png(fig)


def _cell_numbers(ax, m: np.ndarray, fontsize: float) -> None:
    """Each off-diagonal value as text (".45", "-.12"); white on the dark cells."""
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            v = m[i, j]
            if i == j or not np.isfinite(v):
                continue
            text = f"{v:.2f}".replace("0.", ".", 1)
            ax.text(j, i, text, ha="center", va="center", fontsize=fontsize,
                    color="white" if abs(v) > 0.6 else "black")


def loss_curves(records: list[dict]) -> str:
    """Discriminator and generator losses by epoch; the condition loss in a panel of its own."""
    epochs = np.array([_number(r.get("epoch", k)) for k, r in enumerate(records)])
    series = {k: np.array([_number(r.get(k)) for r in records]) for k in ("loss_d", "loss_g", "loss_cond")}
    cond = series["loss_cond"]
    has_cond = bool((np.isfinite(cond) & (cond != 0)).any())        # all zero: the model has no condition loss
    fig = Figure(figsize=(10 if has_cond else 6, 3))
    ax = fig.add_subplot(1, 2 if has_cond else 1, 1)
    for key, colour, label in (("loss_d", REAL, "discriminator"), ("loss_g", SYNTH, "generator")):
        if np.isfinite(series[key]).any():
            ax.plot(epochs, series[key], color=colour, lw=1.2, label=f"{label} ({key})")
    ax.set_xlabel("epoch", fontsize=8)
    ax.set_ylabel("loss", fontsize=8)
    ax.legend(fontsize=7)
    ax.tick_params(labelsize=7)
    if has_cond:
        ax2 = fig.add_subplot(1, 2, 2)
        ax2.plot(epochs, series["loss_cond"], color="#2ca02c", lw=1.2, label="condition (loss_cond)")
        ax2.set_xlabel("epoch", fontsize=8)
        ax2.legend(fontsize=7)
        ax2.tick_params(labelsize=7)
    fig.tight_layout()
    return to_png(fig)


def _number(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


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
