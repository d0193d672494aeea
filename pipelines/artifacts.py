"""A run's outcome where Prefect's users look: a table artifact of the gates and a markdown
summary that says PUBLISHED or REJECTED with every reason, as the report does."""

from __future__ import annotations

from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from synthgan.request import SynthesisRequest


def _round(v: Any, digits: int = 4) -> Any:
    return round(v, digits) if isinstance(v, float) else v


def publish_artifacts(req: SynthesisRequest, result: dict, evaluation: dict, contract: dict | None) -> None:
    """The run's outcome in Prefect: a table of gates (measured, threshold, pass/fail, rounded) and
    a summary that says PUBLISHED or REJECTED with every reason, as the report does."""
    s = evaluation["scores"]
    # Prefect artifact keys: lowercase ASCII letters, digits and dashes
    key = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in req.name.lower()).strip("-") or "request"
    rows = [{"gate": g["name"], "result": g["status"].upper(), "measured": _round(g["measured"]),
             "threshold": "off" if g["threshold"] is None else _round(g["threshold"]),
             "bound": "min" if g["name"].startswith("min_") else "max"} for g in s["gates"]]
    rows += [{"gate": f"({m['measure']})", "result": "", "measured": _round(m["value"]), "threshold": "", "bound": ""}
             for m in evaluation["headline"]]
    create_table_artifact(rows, key=f"{key}-scores",
                          description=f"synthgan {req.name} run {result['run_id']}: {result['outcome']['headline']}")
    gates = "\n".join(f"- **{g['status']}** `{g['name']}`: measured {_fmt(g['measured'])}, threshold "
                      f"{'off' if g['threshold'] is None else _fmt(g['threshold'])}" for g in s["gates"])
    contract_line = ("no contract" if contract is None else "; ".join(
        f"{part}: {st['successful_expectations']}/{st['evaluated_expectations']} expectations hold"
        for part, st in contract["statistics"].items()))
    published = result["status"] == "published"
    where = (f"- data: `{result['path']}/data`\n" if published else
             f"- nothing published; reasons and report: `{result['path']}`\n")
    md = (f"# {req.name}: {result['outcome']['headline']}\n\nRun `{result['run_id']}`\n\n"
          f"{where}- report: `{result['report']}`\n- contract: {contract_line}\n")
    if not published:
        md += "\n## Why nothing was published\n" + "\n".join(f"- {r}" for r in result["reasons"]) + "\n"
    md += f"\n## Gates\n{gates}\n"
    create_markdown_artifact(md, key=f"{key}-summary", description=f"synthgan run of {req.name}")


def _fmt(v: Any) -> str:
    return "n/a" if v is None else (f"{v:.4f}" if isinstance(v, float) else str(v))
