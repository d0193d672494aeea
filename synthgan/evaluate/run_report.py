"""What a pipeline run adds to an evaluation report: the verdict (PUBLISHED or REJECTED with each
reason), the contract results, the training loss curves and the run's metadata. Shared by the
table, time-series and image reports, with the page's HTML primitives (every text escaped, every
figure an inline PNG)."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from synthgan.evaluate import plots
from synthgan.outcome import Outcome


@dataclass
class RunContext:
    """A pipeline run, as the report shows it. Every field is optional: a report made outside the
    pipeline (``synthgan evaluate``) has none of them.

    Attributes
    ----------
    outcome : Outcome
        PUBLISHED or REJECTED and every reason (gates and contract rules).
    contract : dict
        :func:`synthgan.steps.check_contract`'s result: ``success``, ``statistics`` (per part:
        evaluated/successful expectations), ``details`` (one dict per failed rule: part,
        expectation, columns, measured, limit, gap) and ``path`` (the full GX result JSON).
    request, run_id, modality, model_key, created, flow_run_id : str
        Who and what: the request's name, the run id, the model folder's key, when (ISO 8601,
        UTC) and the Prefect flow run.
    versions : dict
        Library versions (python, torch, synthgan, ...).
    model_dir : Path
        The model folder; its ``losses.jsonl`` (one record per epoch: epoch, loss_d, loss_g,
        loss_cond, seconds) gives the loss curves.
    per_condition : dict
        The request's ``generate.per_condition`` counts ({column: {value: rows}}).
    conditions : list
        The request's ``generate.conditions`` groups ({rows, values}).
    conditional : DataFrame
        Rows generated under those conditions (all blocks), to set beside the real rows of each
        group.
    known : dict
        The request's ``generate.known`` rows: ``{"file": path, "cells": {column: [changed, known]}}``.
    """

    outcome: Outcome | None = None
    contract: dict | None = None
    request: str | None = None
    run_id: str | None = None
    modality: str | None = None
    model_key: str | None = None
    created: str | None = None
    flow_run_id: str | None = None
    versions: dict = field(default_factory=dict)
    model_dir: Path | None = None
    per_condition: dict = field(default_factory=dict)
    conditional: pd.DataFrame | None = None
    conditions: list = field(default_factory=list)
    known: dict | None = None

    def losses(self) -> list[dict]:
        """The model's per-epoch training records (empty when there are none)."""
        import json
        if self.model_dir is None or not (Path(self.model_dir) / "losses.jsonl").exists():
            return []
        out = []
        for line in (Path(self.model_dir) / "losses.jsonl").read_text().splitlines():
            line = line.strip()
            if line:
                out.append(json.loads(line))
        return out


# --- the page's HTML primitives, shared by the three reports -------------------------------------

VERDICT_RED, VERDICT_GREEN = "#c62828", "#1a7f37"
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1200px;color:#222}
h1{margin-bottom:.1em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0} td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left}
th{background:#f5f5f5} td.n{text-align:right;font-variant-numeric:tabular-nums}
.passed{color:%(green)s;font-weight:600} .failed{color:%(red)s;font-weight:600} .skipped{color:#777}
.verdict{font-size:1.6em;font-weight:700;padding:.45em 1em;border-radius:6px;margin:.6em 0;color:#fff}
.verdict small{font-size:.6em;font-weight:400;margin-left:1em}
.ok{background:%(green)s} .bad{background:%(red)s} img{max-width:100%%} .note{color:#555;font-size:.9em}
.groups{display:flex;flex-wrap:wrap;gap:0 1.5em} .groups h3{font-size:1em;margin-bottom:0}
table.cmp td{text-align:right} table.cmp td:first-child{text-align:left}
table.bars td{border:none;padding:.1em .5em} table.bars td:nth-child(2){width:420px}
table.bars td:nth-child(2) div{height:.95em;border-radius:2px}
""" % {"red": VERDICT_RED, "green": VERDICT_GREEN}


class Raw(str):
    """Already-escaped HTML for a table cell."""


def fmt(v, digits: int = 3) -> str:
    """A cell's text, escaped: floats to ``digits`` places, missing and non-finite numbers as '–'."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, Raw):
        return v
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return html.escape(str(v))


def table(header: list[str], rows: list[list], cls: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(_cell(c) for c in r) + "</tr>" for r in rows)
    attr = f' class="{html.escape(cls)}"' if cls else ""
    return f"<table{attr}><tr>{head}</tr>{body}</table>"


def _cell(v) -> str:
    number = isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
    return f'<td class="n">{fmt(v)}</td>' if number else f"<td>{fmt(v)}</td>"


def img(b64: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{b64}">'


def note(text: str) -> str:
    return f"<p class='note'>{html.escape(text)}</p>"


def page_start(title: str, run: RunContext | None) -> str:
    """Doctype, style, the title and a subtitle with the run's id and date (when there is a run)."""
    head = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>")
    bits = []
    if run is not None:
        bits = [f"request {run.request}" if run.request else "", f"run {run.run_id}" if run.run_id else "",
                run.created or "", run.modality or ""]
    sub = " · ".join(b for b in bits if b)
    return head + (f"\n<p class='note subtitle'>{html.escape(sub)}</p>" if sub else "")


PAGE_END = "</body></html>"


# --- the shared sections --------------------------------------------------------------------------

def verdict(gates: Sequence[Any], run: RunContext | None) -> str:
    """The verdict box, one row per reason, then every gate with its status.

    With the run's outcome: PUBLISHED (green) or REJECTED (red). Without one (a plain
    ``synthgan evaluate``): PASSED or FAILED, judged from the gates (and the contract, if any).
    """
    outcome = run.outcome if run is not None else None
    if outcome is not None:
        ok, word = outcome.published, ("PUBLISHED" if outcome.published else "REJECTED")
    else:
        outcome = Outcome.judge(gates, run.contract if run is not None else None)
        ok, word = outcome.published, ("PASSED" if outcome.published else "FAILED")
    reasons = outcome.reasons
    if word == "PUBLISHED":
        why = "every enabled gate and contract rule held"
    elif ok:
        why = "All quality gates passed" + (" and every contract rule held" if run and run.contract else "")
    else:
        n_gates = sum(r.source == "gate" for r in reasons)
        n_rules = len(reasons) - n_gates
        bits = [f"{n_gates} quality gate{'s' * (n_gates != 1)} failed"] * bool(n_gates) + \
               [f"{n_rules} contract rule{'s' * (n_rules != 1)} broken"] * bool(n_rules)
        why = f"{len(reasons)} reason{'s' * (len(reasons) != 1)}: {', '.join(bits)}"
    out = [f'<div id="verdict" class="verdict {"ok" if ok else "bad"}">{word}<small>{html.escape(why)}</small></div>']
    if reasons:
        rows = [[r.source, r.rule, r.part, ", ".join(r.columns) or None, r.measured, r.limit, r.gap] for r in reasons]
        out.append(table(["source", "gate or contract rule", "rows checked", "columns", "measured", "limit", "gap"],
                         rows, "reasons"))
    elif not ok:
        out.append(note("The run was rejected without a recorded reason."))
    counts = {s: sum(g.status == s for g in gates) for s in ("passed", "failed", "skipped")}
    out.append("<h2>Quality gates</h2>" + note(", ".join(f"{n} {s}" for s, n in counts.items())) + gates_table(gates))
    return "\n".join(out)


def gates_table(gates: Sequence[Any]) -> str:
    """Every gate: name, status (passed / failed / skipped), measured, threshold, reason."""
    rows = [[g.name, Raw(f'<span class="{html.escape(g.status)}">{html.escape(g.status)}</span>'), g.measured,
             g.threshold, g.reason] for g in gates]
    return table(["gate", "status", "measured", "threshold", "reason"], rows)


def contract_section(run: RunContext | None) -> str:
    """Per part, how many expectations held; then the rules that broke (empty without a run)."""
    if run is None:
        return ""
    out = ["<h2>Data contract</h2>"]
    c = run.contract
    if c is None:
        return out[0] + note("No contract: the request names no data contract, so no expectations were checked.")
    rows = []
    for part, st in (c.get("statistics") or {}).items():
        total, held = st.get("evaluated_expectations"), st.get("successful_expectations")
        ok = total is not None and held == total
        status = Raw(f'<span class="{"passed" if ok else "failed"}">{"all held" if ok else "broken"}</span>')
        rows.append([part, held, total, status])
    out.append(table(["rows checked", "expectations held", "of", "status"], rows))
    details = c.get("details") or []
    if details:
        out.append("<h3>Broken rules</h3>" + table(
            ["rows checked", "expectation", "columns", "measured", "limit", "gap"],
            [[d.get("part"), d.get("expectation"), ", ".join(d.get("columns") or ()) or None, d.get("measured"),
              d.get("limit"), d.get("gap")] for d in details]))
    else:
        out.append(note("Every expectation of the contract held."))
    if c.get("path"):
        out.append(note(f"Full Great Expectations result: {Path(c['path']).name}"))
    return "\n".join(out)


def training_section(run: RunContext | None) -> str:
    """Loss curves from the model's ``losses.jsonl`` (a note when there are none)."""
    if run is None:
        return ""
    records = run.losses()
    if not records:
        why = (f"{Path(run.model_dir).name}/losses.jsonl not found" if run.model_dir is not None
               else "the run names no model folder")
        return "<h2>Training</h2>" + note(f"No training losses recorded ({why}).")
    secs = sum(float(r.get("seconds") or 0.0) for r in records)
    return ("<h2>Training</h2>" + img(plots.loss_curves(records), "training loss curves")
            + note(f"{len(records)} epoch(s), {secs:,.0f} s of training."))


def differential_privacy_section(dp: dict | None) -> str:
    """What the model's DP training spent (its privacy_spent_), or that it had none. A time-series
    model's ``dp`` also holds its static attributes' part under ``static``."""
    if not dp:
        return "<h3>Differential privacy</h3><p>The model was trained without differential privacy.</p>"
    static = dp.get("static")
    critic = "feature critic " if "static" in dp else "critic "
    rows = [["epsilon spent", f"{dp['epsilon']:.3f} (target {dp['target_epsilon']:g})"], ["delta", f"{dp['delta']:g}"],
            ["accountant", dp["accountant"]], [f"{critic}noise multiplier", f"{dp['noise_multiplier']:.3f}"],
            ["clipping norm (per row)", f"{dp['max_grad_norm']:g}"],
            [f"{critic}Poisson sample rate", f"{dp['sample_rate']:.4f}"],
            [f"{critic}steps (DP-SGD)", f"{dp['steps']:,}"]]
    if static:
        rows += [["static attributes: epsilon spent alone", f"{static['epsilon']:.3f} (target {static['target_epsilon']:g})"]]
        rows += [["static attributes: noisy count table (Gaussian mechanism), cells, noise per count",
                  f"{static['cells']:,}, {static['noise_multiplier']:.3f}"]] if static.get("mechanism") else \
            [["static attributes: noise multiplier, sample rate, steps",
              f"{static['noise_multiplier']:.3f}, {static['sample_rate']:.4f}, {static['steps']:,}"]]
    guide = dp.get("guide")                                   # models saved before the redesign
    if guide:
        rows += [["guidance classifier: noise multiplier, sample rate, steps",
                  f"{guide['noise_multiplier']:.3f}, {guide['sample_rate']:.4f}, {guide['steps']:,}"]]
    if "static" in dp:
        counted = bool(static and static.get("mechanism"))
        first = ("the static attributes were counted into a table of every combination of their values, each "
                 "count noised (the Gaussian mechanism), on its share of epsilon" if counted else
                 "the static attributes' critic was trained with DP-SGD (Opacus) on its share of epsilon")
        text = ("Everything that read real series was differentially private, the privacy unit being one series "
                f"(its attributes and all its steps): {first}; the feature critic was trained with DP-SGD on the "
                "rest, both composed by the accountant. "
                "The generators learn from these alone, and the "
                "feature generator is conditioned on attributes drawn from the DP static model. The global value ranges, the series' time grid and the static transformer's "
                "statistics were taken from the data as public metadata: they are <b>not</b> covered by epsilon.")
    else:
        text = ("The critic, the only network that reads real rows, was trained with DP-SGD (Opacus): every "
                "row's gradient clipped, Gaussian noise added, the budget tracked by the accountant. The generator "
                "learns from the critic alone. The transformer's statistics (category sets and frequencies, "
                "numeric bounds and mixture fits, point masses) were taken from the data as public metadata: "
                "they are <b>not</b> covered by epsilon.")
    return f"<h3>Differential privacy</h3><p>{text}</p>" + table(["", "value"], rows)


def metadata_section(run: RunContext | None) -> str:
    """Who and what: request, run, model, date, flow run and library versions."""
    if run is None:
        return ""
    rows = [["request", run.request], ["run id", run.run_id], ["modality", run.modality],
            ["model key", run.model_key], ["created (UTC)", run.created], ["flow run id", run.flow_run_id]]
    rows += [[f"version: {k}", v] for k, v in sorted(run.versions.items())]
    return "<h2>Run</h2>" + table(["field", "value"], rows)
