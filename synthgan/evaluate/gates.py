"""Quality gates: the thresholds a synthetic table must meet before it is published."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

from synthgan.errors import ConfigError
from synthgan.evaluate.results import GateResult, TabularScores


@dataclass(frozen=True)
class QualityGates:
    """Thresholds; ``None`` turns a gate off.

    Attributes
    ----------
    min_fidelity_score : float
        Lowest overall fidelity (mean of column shapes and pair trends), 0-1.
    max_detection_auc : float
        Highest cross-validated AUC of a real-vs-synthetic classifier, 0.5-1.
    min_utility_ratio : float
        Lowest TSTR/TRTR of the primary metric (macro F1; for a numeric target the MAE ratio
        TRTR/TSTR), averaged over model families.
        Skipped when the evaluation has no target.
    min_dcr_ratio : float
        Lowest ratio of the 5th-percentile distance to closest training record, synthetic over
        real holdout rows. Below 1 the synthetic rows sit closer to the training rows than new
        real rows do.
    max_exact_copy_rate : float
        Highest share of synthetic rows that copy a training row exactly.
    max_membership_auc : float
        Highest AUC of the distance-based membership-inference attack.
    max_epsilon : float
        Highest differential-privacy epsilon the model's training may have spent (off by default;
        a request with ``privacy:`` sets it to its epsilon). A model trained without DP fails it.
    """

    min_fidelity_score: float | None = 0.80
    max_detection_auc: float | None = 0.90
    min_utility_ratio: float | None = 0.80
    min_dcr_ratio: float | None = 0.50
    max_exact_copy_rate: float | None = 0.01
    max_membership_auc: float | None = 0.60
    max_epsilon: float | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ConfigError(f"quality gate {f.name!r}: expected a number or null, got {v!r}")
            upper = math.inf if f.name in ("min_dcr_ratio", "max_epsilon") else 1.0
            if not 0.0 <= v <= upper:
                raise ConfigError(f"quality gate {f.name!r}: expected a value in [0, {upper}], got {v}")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "QualityGates":
        return _from_dict(cls, d, "quality gate")

    def to_dict(self) -> dict:
        return asdict(self)

    def check(self, result: TabularScores) -> list[GateResult]:
        """Every enabled gate, measured on ``result``."""
        util = result.utility.ratio if result.utility is not None else None
        measured = {
            "min_fidelity_score": ("fidelity score", result.fidelity.score),
            "max_detection_auc": ("detection AUC", result.detection_auc),
            "min_utility_ratio": ("utility ratio (TSTR/TRTR)", util),
            "min_dcr_ratio": ("DCR ratio (5th percentile, synthetic/holdout)", result.privacy.dcr_p5_ratio),
            "max_exact_copy_rate": _copy_rate(result.privacy),
            "max_membership_auc": ("membership-inference AUC", result.privacy.mia_auc),
            "max_epsilon": _epsilon(result.privacy.dp),
        }
        out = []
        for f in fields(self):
            threshold = getattr(self, f.name)
            label, value = measured[f.name]
            if threshold is None:              # switched off: shown as such, never silently absent
                out.append(GateResult(f.name, "skipped", value, None, f"{label}: gate switched off"))
                continue
            out.append(_judge_gate(f.name, label, value, threshold))
        return out


def _epsilon(dp: dict | None) -> tuple[str, float | None]:
    """The DP epsilon the model's training spent (``dp``: its privacy_spent_; None: trained without DP)."""
    if not dp:
        return "DP epsilon spent", None
    return f"DP epsilon spent (delta {dp['delta']:g}, {dp['accountant']} accountant)", float(dp["epsilon"])


def _judge_gate(name: str, label: str, value: float | None, threshold: float) -> GateResult:
    """An enabled gate (``min_*``: a lower bound, else an upper one); ``max_epsilon`` fails a model
    trained without DP."""
    if name == "max_epsilon" and value is None:
        return GateResult(name, "failed", None, threshold, "the model was trained without differential "
                          f"privacy; the request demands epsilon <= {threshold:g}")
    return _judge(name, label, value, threshold, lower_bound=name.startswith("min_"))


def _copy_rate(privacy) -> tuple[str, float]:
    """The exact-copy rate over every published row when the pipeline counted them, else the sample's."""
    if privacy.exact_copies_all_rows is not None:
        copies, rows = privacy.exact_copies_all_rows
        return f"exact-copy rate ({copies:,} of {rows:,} published rows)", copies / rows
    return "exact-copy rate (evaluated sample)", privacy.exact_copy_rate


def _from_dict(cls, d: Mapping[str, Any] | None, label: str):
    d = dict(d or {})
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ConfigError(f"unknown {label}(s) {unknown}; expected some of {sorted(known)}")
    return cls(**d)


def _judge(name: str, label: str, value: float | None, threshold: float, lower_bound: bool) -> GateResult:
    if value is None:
        return GateResult(name, "skipped", None, threshold, f"{label}: not measured (no target column or holdout)")
    if not math.isfinite(value):
        ok = lower_bound and value > 0          # +inf DCR ratio: holdout rows copy training rows
        return GateResult(name, "passed" if ok else "failed", value, threshold, f"{label} is {value}")
    ok = value >= threshold if lower_bound else value <= threshold
    word, rel = ("minimum", "<") if lower_bound else ("maximum", ">")
    if ok:
        reason = f"{label} {value:.3f} meets the {word} {threshold:.3f}"
    else:
        reason = f"{label} {value:.3f} {rel} {word} {threshold:.3f} (off by {abs(value - threshold):.3f})"
    return GateResult(name, "passed" if ok else "failed", float(value), threshold, reason)


@dataclass(frozen=True)
class SeriesGates:
    """Thresholds for synthetic time series; ``None`` turns a gate off.

    Attributes
    ----------
    max_discriminative_score : float
        Highest |accuracy - 0.5| of the strong post-hoc judge (ROCKET + ridge) telling real from
        synthetic series, 0-0.5.
    max_predictive_ratio : float
        Highest predictive score (trained on synthetic) over the real baseline's.
    min_label_accuracy_ratio : float
        Lowest label accuracy train-on-synthetic over train-on-real (with a target). Skipped
        without one.
    min_dcr_ratio : float
        Lowest ratio of the 5th-percentile distance to the closest training series, synthetic over
        real holdout (memorisation). Skipped without a holdout.
    max_epsilon : float
        Highest differential-privacy epsilon the model's training may have spent (off by default;
        a request with ``privacy:`` sets it to its epsilon). A model trained without DP fails it.
    """

    max_discriminative_score: float | None = 0.20
    max_predictive_ratio: float | None = 1.20
    min_label_accuracy_ratio: float | None = 0.80
    min_dcr_ratio: float | None = 0.50
    max_epsilon: float | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < math.inf):
                raise ConfigError(f"series gate {f.name!r}: expected a non-negative number or null, got {v!r}")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "SeriesGates":
        return _from_dict(cls, d, "series gate")

    def to_dict(self) -> dict:
        return asdict(self)

    def check(self, scores: dict) -> list[GateResult]:
        """Every gate, measured on ``SeriesEvaluation.to_dict()`` (with ``differential_privacy``, the
        model's privacy_spent_, added by the pipeline); switched-off ones as skipped."""
        strong = scores.get("discriminative_score_strong")
        memo = scores.get("memorisation") or {}
        labels = {"max_discriminative_score": ("discriminative score (strong judge)",
                                               strong if strong is not None else scores["discriminative_score"]),
                  "max_predictive_ratio": ("predictive ratio (synthetic/real)", scores["predictive_ratio"]),
                  "min_label_accuracy_ratio": ("label accuracy ratio (TSTR/TRTR)", scores.get("label_accuracy_ratio")),
                  "min_dcr_ratio": ("DCR ratio (5th percentile, synthetic/holdout series)", memo.get("dcr_p5_ratio")),
                  "max_epsilon": _epsilon(scores.get("differential_privacy"))}
        out = []
        for f in fields(self):
            label, value = labels[f.name]
            threshold = getattr(self, f.name)
            if threshold is None:
                out.append(GateResult(f.name, "skipped", value, None, f"{label}: gate switched off"))
            else:
                out.append(_judge_gate(f.name, label, value, threshold))
        return out


@dataclass(frozen=True)
class ImageGates:
    """Thresholds for synthetic labelled images; ``None`` turns a gate off."""

    min_conditional_accuracy: float | None = 0.80
    min_cas_ratio: float | None = 0.80

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1):
                raise ConfigError(f"image gate {f.name!r}: expected a number in [0, 1] or null, got {v!r}")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "ImageGates":
        return _from_dict(cls, d, "image gate")

    def check(self, scores: dict) -> list[GateResult]:
        labels = {"min_conditional_accuracy": ("conditional accuracy", scores["conditional_accuracy"]),
                  "min_cas_ratio": ("classification accuracy score ratio (CAS / real)", scores["cas_ratio"])}
        return [_judge(f.name, labels[f.name][0], labels[f.name][1], getattr(self, f.name), lower_bound=True)
                for f in fields(self) if getattr(self, f.name) is not None]
