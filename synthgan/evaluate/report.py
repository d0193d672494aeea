"""One self-contained HTML page of an evaluation: gates first, then the figures and tables."""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

from synthgan.evaluate import plots

if TYPE_CHECKING:
    from synthgan.evaluate.core import EvaluationResult

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1200px;color:#222}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0} td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right}
th{background:#f5f5f5} td:first-child,th:first-child{text-align:left}
.passed{color:#1a7f37;font-weight:600} .failed{color:#c62828;font-weight:600} .skipped{color:#777}
.verdict{font-size:1.3em;padding:.5em 1em;border-radius:6px;display:inline-block}
.ok{background:#e6f4ea} .bad{background:#fdecea} img{max-width:100%} .note{color:#555;font-size:.9em}
"""


def _f(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return html.escape(str(v))


def _table(header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c if isinstance(c, _Raw) else _f(c)}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


class _Raw(str):
    """Already-escaped HTML for a table cell."""


def _img(b64: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{b64}">'


def _gates(result: "EvaluationResult") -> str:
    verdict = ('<div class="verdict ok">All quality gates passed</div>' if result.passed else
               f'<div class="verdict bad">{len(result.failed_gates)} quality gate(s) failed</div>')
    rows = [[g.name, _Raw(f'<span class="{g.status}">{g.status}</span>'), g.measured, g.threshold,
             g.reason] for g in result.gates]
    return verdict + _table(["gate", "status", "measured", "threshold", "reason"], rows)


def _headline(result: "EvaluationResult") -> str:
    f, p = result.fidelity, result.privacy
    rows = [["fidelity score (shapes + pair trends)", f.score], ["column shapes", f.column_shapes_score],
            ["column pair trends", f.pair_trends_score], ["null-rate match", f.null_match_score],
            ["category / range coverage", f.coverage_score],
            ["detection AUC (0.5 = indistinguishable)", result.detection_auc]]
    if result.utility is not None:
        how = "TRTR/TSTR" if result.utility.primary_metric in ("mae", "rmse") else "TSTR/TRTR"
        rows.append([f"utility ratio ({result.utility.primary_metric}, {how})", result.utility.ratio])
    rows += [["exact-copy rate", p.exact_copy_rate], ["membership-inference AUC", p.mia_auc]]
    return _table(["measure", "value"], rows)


def _columns(result: "EvaluationResult") -> str:
    f = result.fidelity
    kinds = {c.name: c.kind.value for c in result.tables.schema.columns}
    rows = [[c, kinds[c], f.column_shapes.get(c), f.null_match.get(c), f.coverage.get(c)]
            for c in result.tables.columns]
    counted = sorted(f.counted_pairs, key=lambda k: f.pair_trends[k])
    pairs = [[k, f.pair_metric[k], f.pair_real_strength[k], f.pair_trends[k]] for k in counted[:15]]
    return (_table(["column", "kind", "shape", "null match", "coverage"], rows)
            + f"<p>The pair-trend score averages the {len(counted)} of {len(f.pair_trends)} column pairs "
            "that are related in the real data (|Pearson r| &gt; 0.5 or Cramér's V &gt; 0.3); "
            "the weakest of them:</p>"
            + _table(["pair", "metric", "real |r| or V", "trend score"], pairs))


def _utility(result: "EvaluationResult") -> str:
    u = result.utility
    if u is None:
        return "<p class='note'>No target column was given: utility was not measured.</p>"
    rows = []
    for m in u.models:
        for k, v in m.trtr.items():
            if isinstance(v, dict):
                for label, f1 in v.items():
                    rows.append([f"{m.family}", f"F1 of {label}", f1, m.tstr[k].get(label), None])
            else:
                rows.append([m.family, k, v, m.tstr[k], m.ratio.get(k)])
    out = (f"<p>Target <b>{html.escape(u.target)}</b> ({u.task}); models trained on the real training rows "
           "(TRTR) or on the synthetic rows (TSTR), both tested on the real holdout.</p>"
           + _table(["model", "metric", "TRTR", "TSTR", "TSTR/TRTR"], rows))
    if u.lift is not None:
        lf = u.lift
        metrics = ["balanced_accuracy", "f1_macro", "f1_minority", "roc_auc", "rows"]
        rows = [[arm] + [s.get(k) for k in metrics] for arm, s in lf.scores.items()]
        out += ("<h3>Augmentation lift</h3><p>A stratified real subset of "
                f"{lf.subset_rows} rows, alone, with synthetic rows of the smaller classes "
                f"({html.escape(str(lf.added_synthetic))}), and balanced by SMOTE "
                f"({html.escape(str(lf.added_smote))}); gradient boosting, tested on the holdout.</p>"
                + _table(["training set"] + metrics, rows))
        if lf.notes:
            out += "".join(f"<p class='note'>{html.escape(n)}</p>" for n in lf.notes)
    return out


def _privacy(result: "EvaluationResult") -> str:
    p = result.privacy
    rows = [["distance to closest record, median", p.dcr_synthetic_median, p.dcr_holdout_median, p.dcr_median_ratio],
            ["distance to closest record, 5th percentile", p.dcr_synthetic_p5, p.dcr_holdout_p5, p.dcr_p5_ratio],
            ["exact copies of training rows", p.exact_copy_rate, p.holdout_exact_copy_rate, None]]
    return (_table(["measure", "synthetic", "real holdout", "ratio"], rows)
            + f"<p>Membership-inference AUC (distance attack, {p.rows_compared} members vs "
            f"{p.rows_compared} non-members): <b>{_f(p.mia_auc)}</b> (0.5 = no signal).</p>"
            + _img(plots.dcr_histogram(p.dcr_synthetic, p.dcr_holdout), "DCR histogram"))


def render_report(result: "EvaluationResult", title: str = "Synthetic data evaluation") -> str:
    """The whole page as a string."""
    t = result.tables
    rows = ", ".join(f"{k}: {v:,}" for k, v in result.rows.items())
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>",
        f"<p class='note'>Rows: {rows}. {len(t.columns)} columns evaluated "
        f"({len(t.numeric)} numeric, {len(t.discrete)} discrete).</p>",
        "<h2>Quality gates</h2>", _gates(result), _headline(result),
        *(f"<p class='warn'><b>Warning:</b> {html.escape(w)}</p>" for w in result.warnings),
        "<h2>Column shapes</h2>", _img(plots.marginals(t, result.fidelity.column_shapes), "marginals"),
        _columns(result),
        "<h2>Column pair trends</h2>", _img(plots.heatmaps(t), "association heatmaps"),
        "<h2>Utility</h2>", _utility(result),
        "<h2>Privacy</h2>", _privacy(result),
        "</body></html>",
    ]
    return "\n".join(parts)
