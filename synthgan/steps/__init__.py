"""The pipeline's steps: plain library functions that take and return paths (and small dicts of
them), one room per modality; the Prefect flow (``pipelines/``) calls them in this order and
knows no modality:

    ingest -> split -> fit -> plan -> generate_shard (mapped over the shards) -> collect
           -> check_contract -> evaluate -> publish (or the flow rejects the run)

Each room (:mod:`~synthgan.steps.tabular`, :mod:`~synthgan.steps.timeseries`,
:mod:`~synthgan.steps.images`) has ``ingest``, ``split``, ``fit`` and ``evaluate``. Tables are
generated in shards (``plan``, ``generate_shard``, ``collect``, ``publish`` of their own, see
:mod:`~synthgan.steps.shards`); series and images in one piece (their ``generate``), which the
functions here run as a plan of one shard. The modality switch is here and nowhere else.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from synthgan.request import SynthesisRequest
from synthgan.steps import images, tabular, timeseries
from synthgan.steps.common import (check_contract, manifest, model_folder, one_shard, parquet_metadata, publish_frame,
                                   usable_model)

ROOMS: dict[str, ModuleType] = {"tabular": tabular, "timeseries": timeseries, "image": images}
__all__ = ["check_contract", "collect", "evaluate", "fit", "generate_shard", "ingest", "manifest", "model_folder",
           "parquet_metadata", "plan", "publish", "room", "split", "usable_model"]


def room(req: SynthesisRequest) -> ModuleType:
    """The step functions of the request's modality."""
    return ROOMS[req.modality]


def ingest(req: SynthesisRequest, work: Path) -> dict:
    """Read, clean and check the source (and the request against it) into ``work``."""
    return room(req).ingest(req, work)


def split(real: str, schema: str, req: SynthesisRequest, work: Path) -> dict:
    """The seeded train/holdout split, as Parquet files in ``work``."""
    return room(req).split(real, schema, req, work)


def fit(train: str, schema: str, req: SynthesisRequest, model_dir: Path) -> str:
    """Fit the request's model on the training rows and save it to ``model_dir``."""
    return room(req).fit(train, schema, req, model_dir)


def plan(model_dir: str, train: str, req: SynthesisRequest, known: str | None = None) -> dict:
    """The shards to generate (``{"shards": [...], "pii": ...}``), every condition checked first."""
    r = room(req)
    return r.plan(model_dir, train, req, known) if hasattr(r, "plan") else one_shard(req)


def generate_shard(req: SynthesisRequest, model_dir: str, shard: dict, pii: dict | None, work: Path,
                   metadata: dict[str, str] | None = None, torch_threads: int | None = None,
                   train: str | None = None) -> dict:
    """Generate one shard of :func:`plan` into ``work``; its paths and counts."""
    r = room(req)
    if hasattr(r, "generate_shard"):
        return r.generate_shard(req, model_dir, shard, pii, work, metadata, torch_threads, train)
    return {"shard": shard, **r.generate(model_dir, train, req, work)}


def collect(results: list[dict], train: str, req: SynthesisRequest, work: Path) -> dict:
    """The shards' results as the paths the checks read (``synthetic``, ``free``, ``augment``, ...)."""
    r = room(req)
    if hasattr(r, "collect"):
        return r.collect(results, train, req, work)
    return {k: v for k, v in results[0].items() if k != "shard"}


def evaluate(paths: dict, req: SynthesisRequest, work: Path, contract: dict | None = None,
             run: dict | None = None) -> dict:
    """Scores, gates and the outcome; ``scores.json`` and ``report.html`` in ``work``."""
    return room(req).evaluate(paths, req, work, contract, run)


def publish(req: SynthesisRequest, run_id: str, paths: dict, manifest: dict, report: Path) -> Path:
    """Publish the run's data with its manifest and report, all-or-nothing."""
    r = room(req)
    return r.publish(req, run_id, paths, manifest, report) if hasattr(r, "publish") else \
        publish_frame(req, run_id, paths, manifest, report)
