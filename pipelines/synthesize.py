"""The synthesis flow, every modality alike: ingest -> split -> fit -> plan -> generate shards ->
collect -> contract -> evaluate -> publish or reject.

Tasks are thin wrappers over :mod:`synthgan.steps` (which holds the modality switch) and pass
paths. Generation is planned in shards mapped over the flow's task runner: in-process by default,
or Dask (:mod:`pipelines.executors`). I/O tasks retry; the fit is cached on (training-data
fingerprint, model configuration, seed, contract) both by Prefect and by the model folder it
writes, so a rerun with nothing changed skips training. Results are stored as JSON (no pickle).

A run has one outcome (:mod:`synthgan.outcome`): published, or rejected with every reason. A
rejected run ends in a FAILED state named "Rejected" (so Prefect's automations see it), its
reasons in the state message, the run log and the artifacts. Flow runs are named
``<request>-<run_id>`` and tagged with the request's name and modality. Running requests (one or
several, on an executor) is :mod:`pipelines.runs`; the run's Prefect artifacts are
:mod:`pipelines.artifacts`.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

from prefect import flow, get_run_logger, task, unmapped
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import Field

from pipelines.artifacts import publish_artifacts
from synthgan import steps
from synthgan.errors import SynthganError
from synthgan.outcome import Outcome
from synthgan.publish import reject_run
from synthgan.request import SynthesisRequest, load_request
from synthgan.steps.housekeeping import make_work, remove_work, sweep
from synthgan.steps.preflight import check_writable
from synthgan.threads import configure_threads


def _transient(task, task_run, state) -> bool:
    """Retry I/O errors, not bad input: a request or data error fails the same way every time."""
    try:
        state.result()
    except SynthganError:
        return False
    except Exception:
        return True
    return False


IO = {"retries": 2, "retry_delay_seconds": 1, "persist_result": False, "retry_condition_fn": _transient}


@task(name="ingest", **IO)
def ingest_task(req: SynthesisRequest, work: str) -> dict:
    return steps.ingest(req, Path(work))


@task(name="split", **IO)
def split_task(real: str, schema: str, req: SynthesisRequest, work: str) -> dict:
    return steps.split(real, schema, req, Path(work))


def _fit_key(context, parameters) -> str | None:
    """Cache only while the model folder still exists. The key is the folder's full path: its name
    alone (the model key) is shared by the same request published to another output folder, whose
    cached result would name a folder elsewhere, perhaps deleted since."""
    model_dir = Path(parameters["model_dir"]).resolve()
    if not steps.usable_model(model_dir):
        return None
    return "synthgan-fit-" + hashlib.sha256(str(model_dir).encode()).hexdigest()[:32]


@contextmanager
def forward_logs(run_logger, name: str = "synthgan"):
    """Records of the ``synthgan`` loggers (per-epoch training progress among them) made in this
    thread go to the Prefect run's log (which prints them too) instead of the root handlers, at
    INFO and above; other threads' records are left as they were."""
    thread = threading.get_ident()

    def to_run(record: logging.LogRecord) -> bool:
        if record.thread != thread:
            return True
        run_logger.log(record.levelno, record.getMessage())
        return False

    logger = logging.getLogger(name)
    old = logger.level
    # a logger's filters see only its own records: every synthgan logger gets one
    loggers = [logger, *(logging.getLogger(n) for n in list(logging.Logger.manager.loggerDict)
                         if n.startswith(name + "."))]
    for lg in loggers:
        lg.addFilter(to_run)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        for lg in loggers:
            lg.removeFilter(to_run)
        logger.setLevel(old)


@task(name="fit", cache_key_fn=_fit_key, persist_result=True, result_serializer="json")
def fit_task(train: str, schema: str, req: SynthesisRequest, model_dir: str) -> str:
    log = get_run_logger()
    if steps.usable_model(Path(model_dir)):              # fitted by an earlier run with the same key
        log.info("reusing the model fitted earlier with the same key: %s", model_dir)
        return model_dir
    with forward_logs(log):
        return steps.fit(train, schema, req, Path(model_dir))


@task(name="plan shards", persist_result=False)
def plan_task(model_dir: str, train: str, req: SynthesisRequest, known: str | None = None) -> dict:
    return steps.plan(model_dir, train, req, known)


@task(name="generate shard", persist_result=False, retries=1, retry_delay_seconds=1)
def shard_task(req: SynthesisRequest, model_dir: str, shard: dict, pii: dict | None, work: str, metadata: dict,
               torch_threads: int | None, train: str | None = None) -> dict:
    return steps.generate_shard(req, model_dir, shard, pii, Path(work), metadata, torch_threads, train)


@task(name="collect shards", persist_result=False)
def collect_task(results: list[dict], train: str, req: SynthesisRequest, work: str) -> dict:
    return steps.collect(results, train, req, Path(work))


@task(name="validate contract", persist_result=False)
def contract_task(paths: dict, req: SynthesisRequest, work: str) -> dict | None:
    return steps.check_contract(paths, req, Path(work))


@task(name="evaluate", persist_result=False)
def evaluate_task(paths: dict, req: SynthesisRequest, work: str, contract: dict | None, run: dict) -> dict:
    return steps.evaluate(paths, req, Path(work), contract, run)


@task(name="publish", **IO)
def publish_task(req: SynthesisRequest, run_id: str, paths: dict, contract: dict | None, evaluation: dict) -> str:
    from prefect.runtime import flow_run
    manifest = {**steps.manifest(req, paths, contract, evaluation), "flow_run_id": str(flow_run.id),
                "flow_run_name": flow_run.name, "outcome": evaluation["outcome"]}
    return str(steps.publish(req, run_id, paths, manifest, Path(evaluation["report"])))


@task(name="reject", **IO)
def reject_task(req: SynthesisRequest, run_id: str, reasons: dict, report: str) -> str:
    return str(reject_run(req.output, req.name, run_id, reasons, Path(report)))


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


class RunRejected(Exception):
    """Raised by a direct call of :func:`synthesize` whose run was rejected (the flow run ends in
    a FAILED state named "Rejected"); ``result`` is what the flow would have returned."""

    def __init__(self, message: str, result: dict):
        super().__init__(message)
        self.result = result


def _run_name() -> str:
    """``<request name>-<run id>``: the flow run's name, from which the run takes its id."""
    from prefect.runtime import flow_run
    request = (flow_run.parameters or {}).get("request")
    name = "synthgan"
    try:
        import yaml
        data = yaml.safe_load(Path(str(request)).read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            name = data["name"]
    except Exception:                      # unreadable: the flow itself says why, with the file's name
        pass
    return f"{name}-{new_run_id()}"


def _own_run_id(name: str) -> str:
    """The run id in this flow run's name (see :func:`_run_name`), or a new one."""
    from prefect.runtime import flow_run
    run_name = flow_run.name or ""
    return run_name[len(name) + 1:] if run_name.startswith(name + "-") else new_run_id()


def _tag_run(req: SynthesisRequest) -> None:
    """Tag the flow run with the request's name and modality (deployments tag theirs too)."""
    from prefect.client.orchestration import get_client
    from prefect.runtime import flow_run
    wanted = sorted({*(flow_run.tags or []), "synthgan", req.name, req.modality})
    with get_client(sync_client=True) as client:
        client.update_flow_run(flow_run.id, tags=wanted)


def _shard_threads_of_runner() -> int | None:
    """torch threads per generation shard: one on Dask (single-threaded worker processes), torch's
    default in-process."""
    from prefect.context import FlowRunContext
    ctx = FlowRunContext.get()
    runner = getattr(ctx, "task_runner", None)
    return 1 if type(runner).__name__ == "DaskTaskRunner" else None


@flow(name="synthgan-synthesize", flow_run_name=_run_name, log_prints=True,
      task_runner=ThreadPoolTaskRunner(max_workers=1), validate_parameters=True)
def synthesize(
    request: str,
    output: str | None = None,
    rows: Annotated[int | None, Field(ge=0)] = None,
    per_condition: dict[str, dict[str, Annotated[int, Field(ge=0)]]] | None = None,
    seed: Annotated[int | None, Field(ge=0)] = None,
) -> Any:
    """Run one synthesis request end to end: publish its synthetic data, or reject the run and say why.

    Args:
        request: Path of the request YAML file (absolute, or relative to where the flow runs).
        output: Publish under this folder instead of the request's `output`.
        rows: Rows (series, images) to draw freely, instead of the request's `generate.rows`.
        per_condition: Extra rows with an exact value, instead of the request's `generate.per_condition`, e.g. {"income": {">50K": 5000}}.
        seed: Random seed, instead of the request's `seed` (a new seed trains a new model).

    A published run returns its result (status, run_id, path, report, outcome). A rejected run ends
    in a FAILED state named "Rejected" whose message gives the reasons (a direct call raises
    :class:`RunRejected`); errors fail the run with the error.
    """
    configure_threads(once=True)            # this process's pools, unless the CLI already set them
    overrides = {"generate.rows": rows, "generate.per_condition": per_condition, "seed": seed,
                 "output": str(Path(output).resolve()) if output else None}
    req = load_request(request, overrides)
    run_id = _own_run_id(req.name)
    log = get_run_logger()
    _tag_run(req)
    home = Path(req.output) / req.name
    check_writable(home)
    for line in sweep(home):                 # what crashed runs of this request left behind
        log.warning(line)
    work = make_work(home, run_id)
    run = {"run_id": run_id, "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    try:
        from prefect.runtime import flow_run
        run["flow_run_id"] = str(flow_run.id)
        paths = dict(ingest_task(req, str(work)))
        paths["real_rows"] = paths.pop("rows")
        paths.update(split_task(paths["real"], paths["schema"], req, str(work)))
        model = steps.model_folder(req, paths["fingerprint"])
        paths["model"] = fit_task(paths["train"], paths["schema"], req, str(model))
        # planning loads the model (torch): on the task runner, so that with Dask this process never does
        planned = plan_task.submit(paths["model"], paths["train"], req, paths.get("known")).result()
        futures = shard_task.map(unmapped(req), unmapped(paths["model"]), planned["shards"], unmapped(planned["pii"]),
                                 unmapped(str(work)), unmapped(steps.parquet_metadata(req, run_id, paths)),
                                 unmapped(_shard_threads_of_runner()), unmapped(paths["train"]))
        paths.update(collect_task(futures.result(), paths["train"], req, str(work)))
        contract = contract_task(paths, req, str(work))
        evaluation = evaluate_task(paths, req, str(work), contract, run)
        outcome = Outcome.from_dict(evaluation["outcome"])
        reasons = [r.message for r in outcome.reasons]
        if outcome.published:
            where = publish_task(req, run_id, paths, contract, evaluation)
        else:
            where = reject_task(req, run_id, {"run_id": run_id, "status": outcome.status, "headline": outcome.headline,
                                              "reasons": reasons, "details": [r.to_dict() for r in outcome.reasons],
                                              "flow_run_id": run["flow_run_id"], "scores": evaluation["scores"]},
                                evaluation["report"])
        result = {"status": outcome.status, "run_id": run_id, "path": where, "report": str(Path(where) / "report.html"),
                  "reasons": reasons, "outcome": outcome.to_dict(), "flow_run_id": run["flow_run_id"]}
        publish_artifacts(req, result, evaluation, contract)
        if outcome.published:
            log.info("PUBLISHED %s run %s: %s", req.name, run_id, where)
            return result
        log.error("%s for %s run %s; nothing published (report and reasons: %s)",
                  outcome.headline, req.name, run_id, where)
        for r in outcome.reasons:
            log.error("  - %s", r.message)
        message = outcome.state_message()
        return Failed(name="Rejected", message=message, data=RunRejected(message, result))
    finally:
        remove_work(work)
