"""The pipeline's steps for ``modality: image`` (the contract of :mod:`synthgan.steps`;
generated in one piece): a labelled image set in, Parquet with PNG bytes and labels out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from synthgan.ingest.images import encode_png, images_from_frame, read_images
from synthgan.request import SynthesisRequest
from synthgan.steps.common import run_context
from synthgan.steps.preflight import check_request, model_arguments
from synthgan.files import fingerprint_frame, write_json


def _frame(images: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"image": [{"bytes": encode_png(im)} for im in images], "label": list(labels)})


def ingest(req: SynthesisRequest, work: Path) -> dict:
    """Read the images (folder of class folders or Parquet) into ``work/real.parquet``."""
    from synthgan.ingest.images import crop
    data = read_images(req.source.path, resize=req.images.resize)
    check_request(req, pd.DataFrame({"label": data.labels}), condition_columns=["label"])
    work.mkdir(parents=True, exist_ok=True)
    _frame(crop(data.images, data.height, data.width), data.labels).to_parquet(work / "real.parquet", index=False)
    (work / "schema.json").write_text(json.dumps({"columns": [
        {"name": "image", "kind": "categorical", "dtype": "object", "nullable": False},
        {"name": "label", "kind": "categorical", "dtype": str(pd.Series(data.labels).dtype), "nullable": False}]}))
    return {"real": str(work / "real.parquet"), "schema": str(work / "schema.json"), "rows": len(data.labels)}


def split(real: str, schema: str, req: SynthesisRequest, work: Path) -> dict:
    from sklearn.model_selection import train_test_split
    df = pd.read_parquet(real)
    strat = df["label"].astype(str) if df["label"].astype(str).value_counts().min() >= 2 else None
    train, hold = train_test_split(df, test_size=req.holdout_fraction, random_state=req.seed, stratify=strat)
    train.reset_index(drop=True).to_parquet(work / "train.parquet", index=False)
    hold.reset_index(drop=True).to_parquet(work / "holdout.parquet", index=False)
    fp = fingerprint_frame(train.assign(image=train["image"].map(lambda v: v["bytes"].hex())).reset_index(drop=True))
    return {"train": str(work / "train.parquet"), "holdout": str(work / "holdout.parquet"), "fingerprint": fp}


def fit(train: str, schema: str, req: SynthesisRequest, model_dir: Path) -> str:
    from synthgan.synthesizers.image import ImageGAN
    gan = ImageGAN(**model_arguments(req), verbose=True)        # as the preflight built it
    gan.fit(Path(train))
    gan.save(model_dir)
    return str(model_dir)


def generate(model_dir: str, train: str, req: SynthesisRequest, work: Path) -> dict:
    from synthgan.synthesizers.image import ImageGAN
    gan = ImageGAN.load(model_dir, device="cpu")
    parts = [gan.sample(req.generate.rows, random_state=req.seed + 1)]
    for k, (col, counts) in enumerate(req.generate.per_condition.items()):
        for j, (value, n) in enumerate(counts.items()):
            parts.append(gan.sample(n, conditions={col: value}, random_state=req.seed + 2 + 100 * k + j))
    synth = pd.concat(parts, ignore_index=True)
    synth.to_parquet(work / "synthetic.parquet", index=False)
    parts[0].to_parquet(work / "free.parquet", index=False)
    return {"synthetic": str(work / "synthetic.parquet"), "free": str(work / "free.parquet"), "augment": None,
            "rows": len(synth)}


def evaluate(paths: dict, req: SynthesisRequest, work: Path, contract: dict | None = None,
             run: dict | None = None) -> dict:
    """Image metrics on all generated images (labels are asked for, so every image is judged)."""
    from synthgan.outcome import Outcome
    from synthgan.evaluate.image_report import render_image_report
    from synthgan.evaluate.images import evaluate_images
    train, hold, synth = (pd.read_parquet(paths[k]) for k in ("train", "holdout", "synthetic"))
    classes = sorted(pd.unique(train["label"]).tolist(), key=str)
    arrays = [(images_from_frame(df), df["label"].to_numpy()) for df in (train, hold, synth)]
    ev = evaluate_images(*arrays[0], *arrays[1], *arrays[2], classes=classes, seed=req.seed)
    scores = ev.to_dict()
    gates = req.image_gates.check(scores)
    scores["gates"] = [g.__dict__ for g in gates]
    scores["passed"] = all(g.passed for g in gates)
    write_json(work / "scores.json", scores)
    outcome = Outcome.judge(gates, contract)
    (work / "report.html").write_text(render_image_report(scores, arrays[0], arrays[2], classes, gates,
                                                          f"synthgan: {req.name}",
                                                          run=run_context(req, paths, contract, run, outcome)),
                                      encoding="utf-8")
    headline = [{"measure": "conditional accuracy", "value": scores["conditional_accuracy"]},
                {"measure": "CAS ratio", "value": scores["cas_ratio"]},
                {"measure": "Frechet distance", "value": scores["frechet_distance"]}]
    return {"passed": scores["passed"], "scores": scores, "report": str(work / "report.html"),
            "failed_gates": [g.reason for g in gates if not g.passed], "headline": headline,
            "outcome": outcome.to_dict()}
