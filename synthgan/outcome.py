"""The outcome of one run, stated one way everywhere: the CLI, the report, reasons.json or the
manifest, Prefect's artifacts and the flow run's state.

A run is PUBLISHED when every enabled quality gate and every contract rule held, REJECTED
otherwise; each reason names its gate or contract rule, what was measured, the limit and the gap.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

PUBLISHED, REJECTED = "published", "rejected"


@dataclass(frozen=True)
class Reason:
    """One gate or contract rule that did not hold."""

    source: str                  # "gate" or "contract"
    rule: str                    # the gate's name or the expectation's type
    measured: str                # in words: "0.934", "290 unexpected row(s) (2.90%)"
    limit: str                   # in words: "<= 0.900", "values between 17 and 90 in every row"
    gap: float | None = None     # how far outside the limit, when a number
    columns: tuple[str, ...] = ()
    part: str | None = None      # contract: which rows were checked ("sample", "conditional_rows_rules")

    @property
    def message(self) -> str:
        where = f" on {', '.join(self.columns)}" if self.columns else ""
        rows = f" [{self.part}]" if self.part else ""
        gap = "" if self.gap is None else f" (off by {_fmt(self.gap)})"
        head = "gate" if self.source == "gate" else "contract"
        return f"{head} {self.rule}{where}{rows}: measured {self.measured}; allowed {self.limit}{gap}"

    def to_dict(self) -> dict:
        return {**asdict(self), "columns": list(self.columns), "message": self.message}

    @classmethod
    def from_dict(cls, d: dict) -> "Reason":
        return cls(d["source"], d["rule"], d["measured"], d["limit"], d.get("gap"), tuple(d.get("columns") or ()),
                   d.get("part"))


def _fmt(v: float) -> str:
    return f"{v:.3f}" if abs(v) < 1000 else f"{v:,.0f}"


def gate_reason(g: Any) -> Reason:
    """A failed gate (a GateResult or its dict) as a reason."""
    d = g if isinstance(g, dict) else g.__dict__
    name, measured, threshold = d["name"], d["measured"], d["threshold"]
    op = ">=" if name.startswith("min_") else "<="
    if measured is None or (isinstance(measured, float) and not math.isfinite(measured)):
        return Reason("gate", name, str(measured), f"{op} {_fmt(threshold)}", None)
    return Reason("gate", name, _fmt(measured), f"{op} {_fmt(threshold)}", round(abs(measured - threshold), 6))


def contract_reasons(contract: dict | None) -> list[Reason]:
    """The failed contract rules of :func:`synthgan.steps.check_contract`'s result."""
    if contract is None:
        return []
    return [Reason("contract", f["expectation"], f["measured"], f["limit"], f.get("gap"), tuple(f.get("columns") or ()),
                   f.get("part")) for f in contract.get("details", [])]


@dataclass
class Outcome:
    """PUBLISHED or REJECTED, with every reason."""

    status: str
    reasons: list[Reason] = field(default_factory=list)

    @classmethod
    def judge(cls, gates: Iterable[Any], contract: dict | None) -> "Outcome":
        """Rejected when a gate failed (GateResults or their dicts) or a contract rule broke."""
        failed = [gate_reason(g) for g in gates if (g["status"] if isinstance(g, dict) else g.status) == "failed"]
        reasons = failed + contract_reasons(contract)
        return cls(REJECTED if reasons else PUBLISHED, reasons)

    @property
    def published(self) -> bool:
        return self.status == PUBLISHED

    @property
    def headline(self) -> str:
        """``PUBLISHED`` or ``REJECTED: 2 reasons (1 gate, 1 contract rule)``."""
        if self.published:
            return "PUBLISHED"
        gates = sum(r.source == "gate" for r in self.reasons)
        rules = len(self.reasons) - gates
        bits = [f"{gates} gate{'s' * (gates != 1)}"] * bool(gates) + \
               [f"{rules} contract rule{'s' * (rules != 1)}"] * bool(rules)
        return f"REJECTED: {len(self.reasons)} reason{'s' * (len(self.reasons) != 1)} ({', '.join(bits)})"

    def state_message(self, limit: int = 3) -> str:
        """For the Prefect state: the headline and the first few reasons."""
        if self.published:
            return "Published: every enabled gate and contract rule held"
        shown = "; ".join(r.message for r in self.reasons[:limit])
        more = f"; and {len(self.reasons) - limit} more" if len(self.reasons) > limit else ""
        return f"Rejected: {shown}{more}"

    def to_dict(self) -> dict:
        return {"status": self.status, "headline": self.headline, "reasons": [r.to_dict() for r in self.reasons]}

    @classmethod
    def from_dict(cls, d: dict) -> "Outcome":
        return cls(d["status"], [Reason.from_dict(r) for r in d.get("reasons", [])])
