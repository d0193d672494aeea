"""The pipeline's steps for ``modality: timeseries`` (the contract of :mod:`synthgan.steps`;
generated in one piece): long-format series in, long-format series out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from synthgan.errors import ConfigError
from synthgan.ingest import read_table
from synthgan.ingest.timeseries import read_series
from synthgan.request import SynthesisRequest
from synthgan.steps.common import run_context
from synthgan.steps.preflight import check_request, model_arguments
from synthgan.schema import infer_schema
from synthgan.files import fingerprint_frame, read_json, write_json


def _spec(req: SynthesisRequest):
    s = req.series
    return s.entity, s.time, s.features, s.static


def ingest(req: SynthesisRequest, work: Path) -> dict:
    """Read the long-format source, check it as series, keep it as ``work/real.parquet``."""
    df = read_table(req.source.path).data
    entity, time, features, static = _spec(req)
    series = read_series(df, entity, time, features, static, source=str(req.source.path))
    if req.target and req.target not in static:
        raise ConfigError(f"target: {req.target!r} must be one of the static columns {static}")
    check_request(req, df, condition_columns=list(static))
    work.mkdir(parents=True, exist_ok=True)
    df.to_parquet(work / "real.parquet", index=False)
    (work / "schema.json").write_text(infer_schema(df).to_json())
    return {"real": str(work / "real.parquet"), "schema": str(work / "schema.json"), "rows": len(df),
            "series": int(len(series.lengths))}


def split(real: str, schema: str, req: SynthesisRequest, work: Path) -> dict:
    """Whole series go to train or holdout (seeded; stratified on a static target)."""
    from sklearn.model_selection import train_test_split
    df = pd.read_parquet(real)
    entity = req.series.entity
    per_entity = df.groupby(entity, sort=True).first()
    strat = per_entity[req.target].astype(str) if req.target else None
    if strat is not None and strat.value_counts().min() < 2:
        strat = None
    train_ids, hold_ids = train_test_split(per_entity.index.to_numpy(), test_size=req.holdout_fraction,
                                           random_state=req.seed, stratify=strat)
    train = df[df[entity].isin(train_ids)].reset_index(drop=True)
    hold = df[df[entity].isin(hold_ids)].reset_index(drop=True)
    train.to_parquet(work / "train.parquet", index=False)
    hold.to_parquet(work / "holdout.parquet", index=False)
    return {"train": str(work / "train.parquet"), "holdout": str(work / "holdout.parquet"),
            "fingerprint": fingerprint_frame(train)}


def fit(train: str, schema: str, req: SynthesisRequest, model_dir: Path) -> str:
    from synthgan.synthesizers.timeseries import TimeSeriesGAN
    entity, time, features, static = _spec(req)
    gan = TimeSeriesGAN(**model_arguments(req), verbose=True)
    gan.fit(pd.read_parquet(train), entity=entity, time=time, static=static, features=features)
    gan.save(model_dir)
    return str(model_dir)


def generate(model_dir: str, train: str, req: SynthesisRequest, work: Path) -> dict:
    """``generate.rows`` series freely, then ``per_condition`` series per static value."""
    from synthgan.synthesizers.timeseries import TimeSeriesGAN
    gan = TimeSeriesGAN.load(model_dir, device="cpu")
    entity = req.series.entity
    parts = [gan.sample(req.generate.rows, random_state=req.seed + 1)]
    k, offset = 2, req.generate.rows
    for col, counts in req.generate.per_condition.items():
        for value, n in counts.items():
            part = gan.sample(n, conditions={col: value}, random_state=req.seed + k)
            part[entity] = _shift_ids(part[entity], offset)
            parts.append(part)
            k, offset = k + 1, offset + n
    synth = pd.concat(parts, ignore_index=True)
    synth.to_parquet(work / "synthetic.parquet", index=False)
    parts[0].to_parquet(work / "free.parquet", index=False)
    return {"synthetic": str(work / "synthetic.parquet"), "free": str(work / "free.parquet"), "augment": None,
            "rows": len(synth)}


def _shift_ids(ids: pd.Series, offset: int) -> pd.Series:
    if pd.api.types.is_integer_dtype(ids.dtype):
        return ids + offset
    return ids.map(lambda v: f"syn-{int(str(v).removeprefix('syn-')) + offset:06d}")


def evaluate(paths: dict, req: SynthesisRequest, work: Path, contract: dict | None = None,
             run: dict | None = None) -> dict:
    """Sequence metrics on the freely drawn series, the series gates, scores.json and report.html."""
    from synthgan.outcome import Outcome
    from synthgan.evaluate.series_report import render_series_report
    from synthgan.evaluate.timeseries import evaluate_timeseries
    entity, time, features, static = _spec(req)
    train, hold = pd.read_parquet(paths["train"]), pd.read_parquet(paths["holdout"])
    synth = pd.read_parquet(paths["free"] if req.generate.rows else paths["synthetic"])
    ev = evaluate_timeseries(train, synth, entity, time, features, static, label=req.target, holdout=hold,
                             random_state=req.seed)
    scores = ev.to_dict()
    # what the model's training spent of a DP budget: the report shows it, max_epsilon judges it
    scores["differential_privacy"] = read_json(Path(paths["model"]) / "manifest.json").get("privacy")
    gates = req.series_gates.check(scores)
    scores["gates"] = [g.__dict__ for g in gates]
    scores["passed"] = all(g.passed for g in gates)
    scores = json.loads(json.dumps(scores, default=lambda v: v.item() if isinstance(v, np.generic) else str(v)))
    write_json(work / "scores.json", scores)
    real_s = read_series(train, entity, time, features, static)
    synth_s = read_series(synth, entity, time, real_s.features, static)
    outcome = Outcome.judge(gates, contract)
    (work / "report.html").write_text(render_series_report(ev, real_s, synth_s, gates, f"synthgan: {req.name}",
                                                           run=run_context(req, paths, contract, run, outcome),
                                                           dp=scores["differential_privacy"], label=req.target),
                                      encoding="utf-8")
    headline = [{"measure": "discriminative score (strong judge)", "value": scores["discriminative_score_strong"]},
                {"measure": "label accuracy ratio", "value": scores["label_accuracy_ratio"]},
                {"measure": "DCR ratio (p5)", "value": (scores.get("memorisation") or {}).get("dcr_p5_ratio")},
                {"measure": "predictive ratio", "value": scores["predictive_ratio"]},
                {"measure": "autocorrelation gap", "value": scores["autocorrelation_gap"]}]
    return {"passed": scores["passed"], "scores": scores, "report": str(work / "report.html"),
            "failed_gates": [g.reason for g in gates if not g.passed], "headline": headline,
            "outcome": outcome.to_dict()}
