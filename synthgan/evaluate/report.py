"""One self-contained HTML page of a table's evaluation: the verdict first, then the figures and tables.

Order: verdict (PUBLISHED / REJECTED with each reason, or PASSED / FAILED without a run) and the
gates, the headline scores, the contract, column shapes (score bars, histograms), pair trends
(heatmaps), the per-condition rows beside the real rows of their group, what gives synthetic rows
away, utility, privacy, training losses and the run's metadata.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_hex

from synthgan.evaluate import plots
from synthgan.evaluate.frames import coerce, seconds
from synthgan.evaluate.results import TabularScores
from synthgan.evaluate.run_report import (PAGE_END, Raw, RunContext, contract_section, differential_privacy_section,
                                          fmt, img, metadata_section,
                                          note, page_start, table, training_section, verdict)



def bar_table(scores: dict[str, float], good_high: bool = True, base: float = 0.0, label: str = "score") -> str:
    """A horizontal bar chart in HTML, worst first, each bar with its value.

    ``good_high``: high is good (column shapes) or bad (detection AUC); ``base``: the value where a
    bar starts (0.5 for an AUC, so a bar's length is its distance from chance).
    """
    def worst_first(kv):
        v = kv[1]
        return -np.inf if v is None or not np.isfinite(v) else (v if good_high else -v)

    rows = []
    for name, v in sorted(scores.items(), key=worst_first):
        finite = v is not None and np.isfinite(v)
        length = float(np.clip((v - base) / (1 - base), 0, 1)) if finite else 0.0
        colour = to_hex(colormaps["RdYlGn"](0.1 + 0.8 * (length if good_high else 1 - length)))
        bar = Raw(f'<div style="width:{100 * length:.1f}%;background:{colour}"></div>')
        rows.append([name, bar, float(v) if finite else None])
    return table(["column", label, ""], rows, "bars")


def _headline(result: TabularScores) -> str:
    f, p = result.fidelity, result.privacy
    rows = [["fidelity score (shapes + pair trends)", f.score], ["column shapes", f.column_shapes_score],
            ["column pair trends", f.pair_trends_score], ["null-rate match", f.null_match_score],
            ["category / range coverage", f.coverage_score],
            ["detection AUC (0.5 = indistinguishable)", result.detection_auc]]
    if result.utility is not None:
        how = "TRTR/TSTR" if result.utility.primary_metric in ("mae", "rmse") else "TSTR/TRTR"
        rows.append([f"utility ratio ({result.utility.primary_metric}, {how})", result.utility.ratio])
    rows += [["exact-copy rate", p.exact_copy_rate], ["membership-inference AUC", p.mia_auc]]
    return table(["measure", "value"], rows)


def _columns(result: TabularScores) -> str:
    f = result.fidelity
    kinds = {c.name: c.kind.value for c in result.tables.schema.columns}
    rows = [[c, kinds[c], f.column_shapes.get(c), f.null_match.get(c), f.coverage.get(c)]
            for c in result.tables.columns]
    counted = sorted(f.counted_pairs, key=lambda k: f.pair_trends[k])
    pairs = [[k, f.pair_metric[k], f.pair_real_strength[k], f.pair_trends[k]] for k in counted[:15]]
    return (table(["column", "kind", "shape", "null match", "coverage"], rows)
            + f"<p>The pair-trend score averages the {len(counted)} of {len(f.pair_trends)} column pairs "
            "that are related in the real data (|Pearson r| &gt; 0.5 or Cramér's V &gt; 0.3); "
            "the weakest of them:</p>"
            + table(["pair", "metric", "real |r| or V", "trend score"], pairs))


def _detection(result: TabularScores) -> str:
    cols = result.detection_columns
    if not cols:
        return note("The per-column detection scores were not measured.")
    return (f"<p>The whole-row detection AUC is <b>{fmt(result.detection_auc)}</b>. Each column alone, "
            "as a histogram classifier of real training rows against synthetic ones (cross-validated; "
            "0.5 = that column gives nothing away, 1.0 = it gives every row away):</p>"
            + bar_table(dict(list(cols.items())[:20]), good_high=False, base=0.5, label="AUC by this column alone")
            + note("A high whole-row AUC over low single-column ones points at the relations between columns "
                   "(see the pair trends) rather than at one column's distribution."))


def _utility(result: TabularScores) -> str:
    u = result.utility
    if u is None:
        return note("No target column was given: utility was not measured.")
    rows = []
    for m in u.models:
        for k, v in m.trtr.items():
            if isinstance(v, dict):
                for label, f1 in v.items():
                    rows.append([f"{m.family}", f"F1 of {label}", f1, m.tstr[k].get(label), None])
            else:
                rows.append([m.family, k, v, m.tstr[k], m.ratio.get(k)])
    out = (f"<p>Target <b>{html.escape(u.target)}</b> ({html.escape(u.task)}); models trained on the real "
           "training rows (TRTR) or on the synthetic rows (TSTR), both tested on the real holdout.</p>"
           + table(["model", "metric", "TRTR", "TSTR", "TSTR/TRTR"], rows))
    if u.lift is not None:
        lf = u.lift
        metrics = ["balanced_accuracy", "f1_macro", "f1_minority", "roc_auc", "rows"]
        rows = [[arm] + [s.get(k) for k in metrics] for arm, s in lf.scores.items()]
        out += ("<h3>Augmentation lift</h3><p>A stratified real subset of "
                f"{lf.subset_rows} rows, alone, with synthetic rows of the smaller classes "
                f"({html.escape(str(lf.added_synthetic))}), and balanced by SMOTE "
                f"({html.escape(str(lf.added_smote))}); gradient boosting, tested on the holdout.</p>"
                + table(["training set"] + metrics, rows))
        out += "".join(note(n) for n in lf.notes)
    return out


def _privacy(result: TabularScores) -> str:
    p = result.privacy
    rows = [["distance to closest record, median", p.dcr_synthetic_median, p.dcr_holdout_median, p.dcr_median_ratio],
            ["distance to closest record, 5th percentile", p.dcr_synthetic_p5, p.dcr_holdout_p5, p.dcr_p5_ratio],
            ["exact copies of training rows", p.exact_copy_rate, p.holdout_exact_copy_rate, None]]
    return (table(["measure", "synthetic", "real holdout", "ratio"], rows)
            + f"<p>Membership-inference AUC (distance attack, {p.rows_compared} members vs "
            f"{p.rows_compared} non-members): <b>{fmt(p.mia_auc)}</b> (0.5 = no signal).</p>"
            + img(plots.dcr_histogram(p.dcr_synthetic, p.dcr_holdout), "DCR histogram")
            + differential_privacy_section(p.dp))


def _per_condition(result: TabularScores, run: RunContext | None) -> str:
    """For each requested (column, value): its synthetic rows beside the real training rows of that group."""
    if run is None or not (run.per_condition or run.conditions or run.known):
        return ""
    out = ["<h2>Per-condition rows</h2>"]
    if run.known:
        cells = run.known.get("cells") or {}
        rows = [[c, f"{v[1]:,}", f"{v[1] - v[0]:,}"] for c, v in cells.items()]
        out.append(f"<p>Rows with known cells from <code>{html.escape(Path(run.known['file']).name)}</code>: one "
                   "generated row per row of the file, its known cells kept and its empty cells generated "
                   "conditionally on them. Known cells checked in every published row:</p>"
                   + table(["column", "known cells", "kept unchanged"], rows))
        if not (run.per_condition or run.conditions):
            return "\n".join(out)
    t = result.tables
    if run.conditional is None or len(run.conditional) == 0:
        return out[0] + note("The rows generated per condition were not kept for the report.")
    cols = [c for c in t.columns if c in run.conditional.columns]
    real, synth = t.frames["train"], coerce(run.conditional[cols], t.schema, "conditional")
    out.append("<p>Each requested condition: the generated rows (all of them carry the value) beside the real "
               "training rows of that group. Numbers: the mean, and its gap in standard deviations of the "
               "real column; categories: the most common value and its share.</p><div class='groups'>")
    for column, counts in run.per_condition.items():
        if column not in real.columns or column not in synth.columns:
            out.append(note(f"{column}: not an evaluated column"))
            continue
        for value, requested in (counts or {}).items():
            r, s = real[_matches(real[column], value)], synth[_matches(synth[column], value)]
            out.append(f"<div><h3>{html.escape(str(column))} = {html.escape(str(value))}</h3>"
                       + _group_table(t, {column}, r, s, real, requested) + "</div>")
    for group in run.conditions:        # generate.conditions: values and ranges on several columns
        values = {c: v for c, v in group["values"].items() if c in real.columns and c in synth.columns}
        r, s = real[_meets(real, values)], synth[_meets(synth, values)]
        title = ", ".join(f"{c} in [{v[0]}, {v[1]}]" if isinstance(v, (list, tuple)) else f"{c} = {v}"
                          for c, v in group["values"].items())
        out.append(f"<div><h3>{html.escape(title)}</h3>"
                   + _group_table(t, set(values), r, s, real, group["rows"]) + "</div>")
    return "\n".join(out) + "</div>"


def _meets(df: pd.DataFrame, values: dict) -> pd.Series:
    """Rows meeting every value (text, as in YAML) and range ([low, high], None for an open end)."""
    ok = pd.Series(True, index=df.index)
    for col, v in values.items():
        if isinstance(v, (list, tuple)):
            x = df[col]
            is_date = pd.api.types.is_datetime64_any_dtype(x.dtype)
            bound = (lambda b: pd.Timestamp(b)) if is_date else float  # noqa: E731
            if v[0] is not None:
                ok &= x >= bound(v[0])
            if v[1] is not None:
                ok &= x <= bound(v[1])
            ok &= x.notna()
        else:
            ok &= _matches(df[col], v)
    return ok


def _matches(col: pd.Series, value) -> pd.Series:
    """Rows whose value is ``value``, given as text (YAML keys): 1 matches '1' and '1.0'."""
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        try:
            return col == float(value)
        except (TypeError, ValueError):
            return pd.Series(False, index=col.index)
    return col.notna() & (col.astype(str) == str(value))


def _group_table(t, skip: set, r: pd.DataFrame, s: pd.DataFrame, real_all: pd.DataFrame, requested) -> str:
    rows = [["rows", len(r), len(s), Raw(f"requested {html.escape(str(requested))}")]]
    for c in t.columns:
        if c in skip:
            continue
        if c in t.numeric:
            is_date = t.schema[c].kind.value == "datetime"
            rm, sm = _mean(r[c]), _mean(s[c]) if c in s else None
            sd = float(np.nanstd(seconds(real_all[c]))) if len(real_all) else 0.0
            gap = None if rm is None or sm is None or sd == 0 else f"{(sm - rm) / sd:+.2f} sd"
            rows.append([f"{c} (mean)", _show(rm, is_date), _show(sm, is_date), gap])
        else:
            (rv, rs), (sv, ss) = _mode(r[c]), _mode(s[c]) if c in s else (None, None)
            gap = None if rs is None or ss is None else (f"{100 * (ss - rs):+.1f} pt" if rv == sv else "other value")
            rows.append([f"{c} (most common)", _mode_text(rv, rs), _mode_text(sv, ss), gap])
    return table(["", "real (train)", "synthetic", "gap"], rows, "cmp")


def _mean(col: pd.Series) -> float | None:
    v = seconds(col)
    return float(np.nanmean(v)) if len(v) and np.isfinite(v).any() else None


def _show(v: float | None, is_date: bool) -> str | None:
    if v is None:
        return None
    return str(pd.Timestamp(v, unit="s").date()) if is_date else f"{v:,.4g}"


def _mode(col: pd.Series) -> tuple[object, float | None]:
    if len(col) == 0:
        return None, None
    counts = col.value_counts(dropna=False)
    return counts.index[0], float(counts.iloc[0] / len(col))


def _mode_text(value, share: float | None) -> str | None:
    if share is None:
        return None
    shown = "(null)" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return f"{shown} ({share:.0%})"


def render_report(result: TabularScores, title: str = "Synthetic data evaluation",
                  run: RunContext | None = None) -> str:
    """The whole page as a string.

    Parameters
    ----------
    result : EvaluationResult
        The scores and gates.
    title : str
        The page's title.
    run : RunContext, optional
        The pipeline run: its outcome (PUBLISHED / REJECTED) heads the page, and the contract,
        per-condition rows, loss curves and metadata join it. Without it the verdict is PASSED /
        FAILED from the gates.
    """
    t = result.tables
    rows = ", ".join(f"{k}: {v:,}" for k, v in result.rows.items())
    parts = [
        page_start(title, run),
        verdict(result.gates, run),
        note(f"Rows: {rows}. {len(t.columns)} columns evaluated ({len(t.numeric)} numeric, "
             f"{len(t.discrete)} discrete)."),
        _headline(result),
        *(f"<p class='warn'><b>Warning:</b> {html.escape(w)}</p>" for w in result.warnings),
        contract_section(run),
        "<h2>Column shapes</h2>", bar_table(result.fidelity.column_shapes, label="shape score (1 = same)"),
        img(plots.marginals(t, result.fidelity.column_shapes), "marginals"),
        _columns(result),
        "<h2>Column pair trends</h2>", img(plots.heatmaps(t), "association heatmaps"),
        _per_condition(result, run),
        "<h2>What gives synthetic rows away</h2>", _detection(result),
        "<h2>Utility</h2>", _utility(result),
        "<h2>Privacy</h2>", _privacy(result),
        training_section(run),
        metadata_section(run),
        PAGE_END,
    ]
    return "\n".join(p for p in parts if p)
