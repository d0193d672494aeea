"""Evaluation of synthetic tables: fidelity, detection, utility, privacy, an HTML report, and the
quality gates that decide whether a table may be published."""

from synthgan.evaluate.core import EvaluationResult, evaluate_tabular
from synthgan.evaluate.gates import QualityGates, SeriesGates
from synthgan.evaluate.results import GateResult

__all__ = ["EvaluationResult", "GateResult", "QualityGates", "SeriesGates", "evaluate_tabular"]
