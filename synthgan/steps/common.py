"""What the pipeline's steps share whatever the modality: where a request's model lives and
whether it is usable, the contract check, the report's run context, the published manifest, and
publishing a single-frame output (series, images)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from synthgan.files import library_versions, read_json, verify_folder, write_json
from synthgan.request import SynthesisRequest
from synthgan.steps.preflight import resolved_config


def model_folder(req: SynthesisRequest, fingerprint: str) -> Path:
    """Where the request's model lives: ``<output>/<name>/_models/<key>``, the key being what the
    fitted model depends on: the training rows, the full configuration (library defaults
    included, so a changed default trains a new model), the seed and the contract (which decides
    the personal-data columns removed)."""
    blob = json.dumps({"data": fingerprint, "config": resolved_config(req), "seed": req.seed,
                       "contract": str(req.contract) if req.contract else None}, sort_keys=True, default=str)
    return Path(req.output) / req.name / "_models" / hashlib.sha256(blob.encode()).hexdigest()[:20]


def usable_model(model_dir: Path) -> bool:
    """True when ``model_dir`` holds a saved model whose files match its manifest. A damaged one (a
    truncated weights file, say) is removed, so that the run refits instead of failing forever."""
    import logging
    import shutil

    from synthgan.errors import ModelFileError
    if not (model_dir / "manifest.json").exists():
        return False
    try:
        verify_folder(model_dir)
        return True
    except ModelFileError as e:
        logging.getLogger("synthgan").warning("cached model %s is damaged and will be refitted: %s", model_dir, e)
        shutil.rmtree(model_dir, ignore_errors=True)
        return False


def check_contract(paths: dict, req: SynthesisRequest, work: Path) -> dict | None:
    """Validate against the request's contract (None without one): every expectation on the freely
    drawn rows, and the rules (not the distribution expectations) on the per-condition rows, which
    are skewed on purpose. For tables these are the bounded samples :func:`collect` read back
    (all rows up to EVAL_ROWS of each kind)."""
    if req.contract is None:
        return None
    from synthgan.contracts import load_suite, validate_frame
    suite = load_suite(req.contract)
    checks = {"sample": validate_frame(pd.read_parquet(paths["free"] if req.generate.rows else paths["synthetic"]),
                                       suite)}
    if req.generate.conditioned and paths.get("augment"):
        checks["conditional_rows_rules"] = validate_frame(pd.read_parquet(paths["augment"]), suite, rules_only=True)
    write_json(work / "contract_result.json", {k: r.to_dict() for k, r in checks.items()})
    return {"success": all(r.success for r in checks.values()),
            "statistics": {k: r.statistics for k, r in checks.items()},
            "failures": [f"{k}: {f.message}" for k, r in checks.items() for f in r.failures],
            "details": contract_details(checks), "path": str(work / "contract_result.json")}


def contract_details(checks: dict) -> list[dict]:
    """One dict per failed rule of each part: what :class:`synthgan.outcome.Reason` is made of."""
    return [{"part": k, "expectation": f.expectation, "columns": list(f.columns), "measured": f.measured,
             "limit": f.limit, "gap": f.gap} for k, r in checks.items() for f in r.failures]


def run_context(req: SynthesisRequest, paths: dict, contract: dict | None, run: dict | None, outcome,
                conditional: pd.DataFrame | None = None):
    """What the report shows of the run beside the scores (see :class:`RunContext`)."""
    from synthgan.evaluate.run_report import RunContext        # here: matplotlib only where a report is made
    run = run or {}
    model = Path(paths["model"]) if paths.get("model") else None
    return RunContext(outcome=outcome, contract=contract, request=req.name, run_id=run.get("run_id"),
                      modality=req.modality, model_key=model.name if model else None, created=run.get("created"),
                      flow_run_id=run.get("flow_run_id"), versions=library_versions(), model_dir=model,
                      per_condition=dict(req.generate.per_condition), conditional=conditional,
                      conditions=[{"rows": c.rows, "values": dict(c.values)} for c in req.generate.conditions],
                      known=({"file": str(req.generate.known), "cells": paths.get("known_cells") or {}}
                             if req.generate.known is not None else None))


def manifest(req: SynthesisRequest, paths: dict, contract: dict | None, evaluation: dict) -> dict:
    """Everything a reader of a published run needs to trust it."""
    model = read_json(Path(paths["model"]) / "manifest.json")
    data = model.get("data", {})
    return {"request": json.loads(req.model_dump_json()), "schema": json.loads(Path(paths["schema"]).read_text()),
            "row_counts": {"real": paths["real_rows"], "train": len(pd.read_parquet(paths["train"], columns=[])),
                     "holdout": len(pd.read_parquet(paths["holdout"], columns=[])), "synthetic": paths["rows"]},
            "model": {"key": Path(paths["model"]).name, "format": model.get("format"),
                      "training_data_fingerprint": paths["fingerprint"], "seed": model["seed"],
                      "metrics": model.get("metrics", {"train_seconds": model.get("train_seconds")}),
                      "rows_seen": data.get("rows", model.get("series")),
                      # differential privacy of the model's training (None: trained without DP)
                      "privacy": model.get("privacy")},
            "library_versions": library_versions(), "contract": contract,
            **({"shards": paths["shards"], "workers": paths["workers"]} if "shards" in paths else {}),
            "evaluation": evaluation["scores"]}


def publish_frame(req: SynthesisRequest, run_id: str, paths: dict, manifest: dict, report: Path) -> Path:
    """Publish a single-frame output (series, images: ``paths["synthetic"]``) all-or-nothing."""
    from synthgan.publish import publish_run
    from synthgan.schema import Schema
    data = pd.read_parquet(paths["synthetic"])
    schema = Schema.from_json(Path(paths["schema"]).read_text())
    return publish_run(req.output, req.name, run_id, data, schema, manifest, report, parquet_metadata(req, run_id, paths))


def parquet_metadata(req: SynthesisRequest, run_id: str, paths: dict) -> dict[str, str]:
    """Key-value metadata of every published Parquet file."""
    return {"synthgan.request": req.name, "synthgan.run_id": run_id, "synthgan.model": Path(paths["model"]).name}


def one_shard(req: SynthesisRequest) -> dict:
    """The plan of a modality generated in one piece (series, images): one shard of every row."""
    return {"shards": [{"index": 0, "rows": req.generate.total}], "pii": None}
