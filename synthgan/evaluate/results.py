"""What an evaluation measured, as plain dataclasses: the computing modules fill them, the gates
judge them, the reports show them (so every arrow between those runs one way, from here up)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from synthgan.evaluate.fidelity import FidelityResult
from synthgan.evaluate.frames import Tables
from synthgan.evaluate.privacy import PrivacyResult


@dataclass(frozen=True)
class GateResult:
    """One gate: ``status`` is 'passed', 'failed' or 'skipped' (nothing to measure)."""

    name: str
    status: str
    measured: float | None
    threshold: float | None          # None: the gate was switched off
    reason: str

    @property
    def passed(self) -> bool:
        return self.status != "failed"


@dataclass
class ModelScores:
    """One model family: holdout metrics when trained on real and on synthetic rows, and TSTR/TRTR."""

    family: str
    trtr: dict
    tstr: dict
    ratio: dict[str, float]


@dataclass
class LiftResult:
    """A small real subset alone, plus synthetic minority rows, plus SMOTE rows; scored on the holdout."""

    subset_rows: int
    added_synthetic: dict[str, int]
    added_smote: dict[str, int]
    scores: dict[str, dict[str, float]]          # arm -> metric -> value
    lift_synthetic: dict[str, float]             # metric -> (subset + synthetic) - subset
    lift_smote: dict[str, float]
    notes: list[str] = field(default_factory=list)


@dataclass
class UtilityResult:
    target: str
    task: str                                     # "classification" or "regression"
    primary_metric: str
    models: list[ModelScores]
    lift: LiftResult | None

    @property
    def ratio(self) -> float:
        """Mean TSTR/TRTR of the primary metric over the model families (the gated figure)."""
        vals = [m.ratio[self.primary_metric] for m in self.models]
        return float(np.mean(vals))

    def to_dict(self) -> dict:
        return {"target": self.target, "task": self.task, "primary_metric": self.primary_metric,
                "ratio": self.ratio, "models": [asdict(m) for m in self.models],
                "lift": asdict(self.lift) if self.lift else None}


@dataclass
class TabularScores:
    """Everything measured about one synthetic table, and the verdict of its gates (see
    :class:`synthgan.evaluate.EvaluationResult`, which adds the thresholds and ``write``)."""

    fidelity: FidelityResult
    detection_auc: float
    utility: UtilityResult | None
    privacy: PrivacyResult
    rows: dict[str, int]
    seconds: dict[str, float]
    tables: Tables = field(repr=False)
    warnings: list[str] = field(default_factory=list)
    detection_columns: dict[str, float] = field(default_factory=dict)   # column -> AUC by it alone
    gates: list[GateResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when no enabled gate failed."""
        return all(g.passed for g in self.gates)

    @property
    def failed_gates(self) -> list[GateResult]:
        return [g for g in self.gates if not g.passed]

    def to_dict(self) -> dict:
        """JSON-ready scores (non-finite numbers become null)."""
        d = {"passed": self.passed,
             "gates": [g.__dict__ for g in self.gates],
             "fidelity": self.fidelity.to_dict(),
             "detection_auc": self.detection_auc,
             "detection_columns": self.detection_columns,
             "utility": self.utility.to_dict() if self.utility else None,
             "privacy": self.privacy.to_dict(),
             "rows": self.rows, "seconds": self.seconds, "warnings": self.warnings,
             "columns": {"numeric": self.tables.numeric, "discrete": self.tables.discrete}}
        return finite(d)


def finite(obj):
    """``obj`` with every non-finite float (at any depth) as None and numpy scalars as Python's."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, (np.floating, np.integer)):
        return finite(obj.item())
    if isinstance(obj, dict):
        return {str(k): finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    return obj
