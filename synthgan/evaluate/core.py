"""The public entry of the evaluation: :func:`evaluate_tabular` and its typed result."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
from rich.console import Console

from synthgan.evaluate.detection import detection_auc, detection_by_column
from synthgan.evaluate.fidelity import fidelity
from synthgan.evaluate.frames import SMALL_HOLDOUT, prepare
from synthgan.evaluate.gates import QualityGates
from synthgan.evaluate.privacy import privacy
from synthgan.evaluate.report import render_report
from synthgan.evaluate.results import TabularScores
from synthgan.evaluate.run_report import RunContext
from synthgan.evaluate.utility import utility
from synthgan.schema import Schema

SCORES_FILE, REPORT_FILE = "scores.json", "report.html"


@dataclass
class EvaluationResult(TabularScores):
    """Everything measured about one synthetic table, the gates' thresholds and their verdict."""

    thresholds: QualityGates = field(default_factory=QualityGates)

    def to_dict(self) -> dict:
        """JSON-ready scores (non-finite numbers become null)."""
        d = super().to_dict()
        return {"passed": d.pop("passed"), "gates": d.pop("gates"), "thresholds": self.thresholds.to_dict(), **d}

    def write(self, folder: str | Path, title: str = "Synthetic data evaluation",
              run: RunContext | None = None) -> dict[str, Path]:
        """Write ``scores.json`` and ``report.html`` into ``folder`` (created when missing).

        ``run``: the pipeline run (outcome, contract, losses, metadata) for the report, if any.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        scores, report = folder / SCORES_FILE, folder / REPORT_FILE
        scores.write_text(json.dumps(self.to_dict(), indent=2))
        report.write_text(render_report(self, title, run=run), encoding="utf-8")
        return {"scores": scores, "report": report}


def evaluate_tabular(
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    synthetic: pd.DataFrame,
    target: str | None = None,
    discrete_columns: Iterable[str] | None = None,
    *,
    schema: Schema | None = None,
    gates: QualityGates | None = None,
    augment_with: pd.DataFrame | None = None,
    random_state: int = 0,
    verbose: bool = False,
) -> EvaluationResult:
    """Score a synthetic table for fidelity, detection, utility and privacy, then apply the gates.

    Parameters
    ----------
    train : DataFrame
        The real rows the generator was fitted on.
    holdout : DataFrame
        Real rows the generator never saw: the test set for utility and the privacy baseline.
    synthetic : DataFrame
        The synthetic table, with the same columns.
    target : str, optional
        Column to predict for utility (classification when discrete, regression when numeric).
        Without it, utility is not measured and its gate is skipped.
    discrete_columns : iterable of str, optional
        Columns to treat as discrete; inferred from ``train`` when absent (or pass ``schema``).
    schema : Schema, optional
        Column kinds, e.g. ``TabularGAN.schema_``; ID columns are left out.
    gates : QualityGates, optional
        Thresholds; the defaults of :class:`QualityGates` when absent.
    augment_with : DataFrame, optional
        Synthetic rows to draw minority-class rows from for the augmentation lift (for example a
        conditional sample); the synthetic table when absent.
    random_state : int
        Seed of every subsample, split and model.

    Returns
    -------
    EvaluationResult
    """
    gates = gates or QualityGates()
    timer = _Stages(verbose)
    with timer.stage("checking inputs"):
        tables = prepare(train, holdout, synthetic, target, discrete_columns, schema)
        augment = None
        if augment_with is not None:
            augment = prepare(train, holdout, augment_with, target, schema=tables.source_schema).views["synthetic"]
    rng = np.random.default_rng(random_state)
    seeds = rng.integers(2**31 - 1, size=3)
    with timer.stage("fidelity"):
        fid = fidelity(tables)
    with timer.stage("detection"):
        det = detection_auc(tables, np.random.default_rng(seeds[0]))
    with timer.stage("detection by column"):
        # Its own stream: the seeds above (and so every other score) stay as they were.
        det_columns = detection_by_column(tables, np.random.default_rng([int(seeds[0]), 1]))
    util = None
    if target is not None:
        with timer.stage("utility"):
            util = utility(tables, np.random.default_rng(seeds[1]), augment)
    with timer.stage("privacy"):
        priv = privacy(tables, np.random.default_rng(seeds[2]))
    rows = {role: len(tables.frames[role]) for role in tables.frames}
    warnings = []
    if rows["holdout"] < SMALL_HOLDOUT:
        warnings.append(f"the holdout has {rows['holdout']} row(s): the DCR ratio, the membership-inference AUC "
                        f"and the utility scores compare against so few real rows that they mean little "
                        f"(at least {SMALL_HOLDOUT} advised)")
    result = EvaluationResult(fid, det, util, priv, rows, timer.seconds, tables, warnings, det_columns,
                              thresholds=gates)
    result.gates = gates.check(result)
    return result


class _Stages:
    """Times each stage; shows a spinner and a line per stage when verbose."""

    def __init__(self, verbose: bool):
        self.seconds: dict[str, float] = {}
        self.console = Console(stderr=True) if verbose else None

    @contextmanager
    def stage(self, name: str):
        t0 = time.perf_counter()
        if self.console is None:
            yield
        else:
            with self.console.status(f"evaluating: {name}"):
                yield
        self.seconds[name] = time.perf_counter() - t0
        if self.console is not None:
            self.console.print(f"  {name}: {self.seconds[name]:.1f} s")
