"""The synthesis flow (every modality): ingest -> split -> fit -> generate -> contract -> evaluate ->
gate -> publish.

Tasks are thin wrappers over :mod:`synthgan.steps` (tables), :mod:`synthgan.steps_series` (time
series) or :mod:`synthgan.steps_images` and pass paths. Tables are generated in shards
(:mod:`synthgan.shards`), mapped over the flow's task runner: in-process by default, or Dask
(:mod:`pipelines.executors`). I/O tasks retry; the fit is
cached on (training-data fingerprint, model configuration, seed, contract) both by Prefect and by
the model folder it writes, so a rerun with nothing changed skips training. Results are stored as
JSON (no pickle).

A run has one outcome (:mod:`synthgan.outcome`): published, or rejected with every reason. A
rejected run ends in a FAILED state named "Rejected" (so Prefect's automations see it), its
reasons in the state message, the run log and the artifacts. Flow runs are named
``<request>-<run_id>`` and tagged with the request's name and modality.
"""

from __future__ import annotations

import logging
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from prefect import flow, get_run_logger, tags, task, unmapped
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.states import Failed
from prefect.task_runners import ThreadPoolTaskRunner

from pipelines.executors import cluster_kwargs, require_server, task_runner
from synthgan import steps, steps_images, steps_series
from synthgan.errors import ConfigError, SynthganError
from synthgan.outcome import Outcome
from synthgan.publish import publish_parts, publish_run, reject_run
from synthgan.request import ExecutorSpec, SynthesisRequest, load_request

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


def _steps(req: SynthesisRequest):
    """The step functions of the request's modality (same names, same path-passing contract)."""
    return {"timeseries": steps_series, "image": steps_images}.get(req.modality, steps)


@task(name="ingest", **IO)
def ingest_task(req: SynthesisRequest, work: str) -> dict:
    return _steps(req).ingest(req, Path(work))


@task(name="split", **IO)
def split_task(real: str, schema: str, req: SynthesisRequest, work: str) -> dict:
    return _steps(req).split(real, schema, req, Path(work))


def _fit_key(context, parameters) -> str | None:
    """Cache only while the model folder still exists. The key is the folder's full path: its name
    alone (the model key) is shared by the same request published to another output folder, whose
    cached result would name a folder elsewhere, perhaps deleted since."""
    import hashlib
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
        return _steps(req).fit(train, schema, req, Path(model_dir))


@task(name="generate", persist_result=False)
def generate_task(model_dir: str, train: str, req: SynthesisRequest, work: str) -> dict:
    return _steps(req).generate(model_dir, train, req, Path(work))


@task(name="plan shards", persist_result=False)
def plan_task(model_dir: str, train: str, req: SynthesisRequest, known: str | None = None) -> dict:
    return steps.plan(model_dir, train, req, known)


@task(name="generate shard", persist_result=False, retries=1, retry_delay_seconds=1)
def shard_task(model_dir: str, shard: dict, pii: dict | None, work: str, metadata: dict,
               torch_threads: int | None, train: str | None = None) -> dict:
    return steps.generate_shard(model_dir, shard, pii, Path(work), metadata, torch_threads, train)


@task(name="collect shards", persist_result=False)
def collect_task(results: list[dict], train: str, req: SynthesisRequest, work: str) -> dict:
    return steps.collect(results, train, req, Path(work))


@task(name="validate contract", persist_result=False)
def contract_task(paths: dict, req: SynthesisRequest, work: str) -> dict | None:
    return steps.check_contract(paths, req, Path(work))


@task(name="evaluate", persist_result=False)
def evaluate_task(paths: dict, req: SynthesisRequest, work: str, contract: dict | None, run: dict) -> dict:
    return _steps(req).evaluate(paths, req, Path(work), contract, run)


@task(name="publish", **IO)
def publish_task(req: SynthesisRequest, run_id: str, paths: dict, contract: dict | None, evaluation: dict) -> str:
    import pandas as pd

    from synthgan.schema import Schema
    from prefect.runtime import flow_run
    manifest = {**steps.manifest(req, paths, contract, evaluation), "flow_run_id": str(flow_run.id),
                "flow_run_name": flow_run.name, "outcome": evaluation["outcome"]}
    if "parts" in paths:                                     # tables: shards already written
        return str(publish_parts(req.output, req.name, run_id, paths["parts"], paths["rows"], paths["content_hash"],
                                 manifest, Path(evaluation["report"])))
    data = pd.read_parquet(paths["synthetic"])
    schema = Schema.from_json(Path(paths["schema"]).read_text())
    run = publish_run(req.output, req.name, run_id, data, schema, manifest, Path(evaluation["report"]),
                      _metadata(req, run_id, paths))
    return str(run)


def _metadata(req: SynthesisRequest, run_id: str, paths: dict) -> dict[str, str]:
    """Key-value metadata of every published Parquet file."""
    return {"synthgan.request": req.name, "synthgan.run_id": run_id, "synthgan.model": Path(paths["model"]).name}


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
    from synthgan.threads import configure_threads
    configure_threads(once=True)            # this process's pools, unless the CLI already set them
    overrides = {"generate.rows": rows, "generate.per_condition": per_condition, "seed": seed,
                 "output": str(Path(output).resolve()) if output else None}
    req = load_request(request, overrides)
    run_id = _own_run_id(req.name)
    log = get_run_logger()
    _tag_run(req)
    home = Path(req.output) / req.name
    from synthgan.housekeeping import make_work, remove_work, sweep
    from synthgan.preflight import check_writable
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
        if req.modality == "tabular":
            # planning loads the model (torch): on the task runner, so that with Dask this process never does
            planned = plan_task.submit(paths["model"], paths["train"], req, paths.get("known")).result()
            futures = shard_task.map(unmapped(paths["model"]), planned["shards"], unmapped(planned["pii"]),
                                     unmapped(str(work)), unmapped(_metadata(req, run_id, paths)),
                                     unmapped(_shard_threads_of_runner()), unmapped(paths["train"]))
            paths.update(collect_task(futures.result(), paths["train"], req, str(work)))
        else:
            paths.update(generate_task(paths["model"], paths["train"], req, str(work)))
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
        _artifacts(req, result, evaluation, contract)
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


def outcome_of(state) -> dict:
    """The result of a finished flow run's state: a published run's result, a rejected run's
    result (state "Rejected"), or the error that failed the run, raised."""
    if state.is_completed():
        return state.result()
    value = state.result(raise_on_failure=False)
    if isinstance(value, RunRejected):
        return value.result
    if isinstance(value, BaseException):
        raise value
    raise RuntimeError(f"flow run ended in state {state.name}: {state.message}")


def run_request(request_path: str | Path, output: str | Path | None = None,
                executor: ExecutorSpec | None = None) -> dict:
    """Run one request on its executor (``executor`` overrides the request's); its result, whether
    published or rejected (an error is raised)."""
    req = load_request(request_path)
    spec = executor or req.executor
    require_server(spec)
    flow_ = synthesize.with_options(task_runner=task_runner(spec))
    with tags("synthgan", req.name, req.modality):
        state = flow_(str(request_path), str(output) if output else None, return_state=True)
    return outcome_of(state)


def run_requests(paths: list[str | Path], output: str | Path | None = None,
                 executor: ExecutorSpec | None = None) -> list[dict]:
    """Run several requests. With a Dask executor they run concurrently (one flow run per thread)
    on one cluster: the given scheduler, or a LocalCluster started here for all of them;
    in-process they run one after the other."""
    reqs = [load_request(p) for p in paths]
    spec = executor or (reqs[0].executor if len({r.executor for r in reqs}) == 1 else None)
    if spec is None:
        raise ConfigError("the requests name different executors; choose one with --executor")
    require_server(spec)
    if spec.kind != "dask" or len(paths) == 1:
        return [run_request(p, output, spec) for p in paths]
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    from distributed import LocalCluster
    cluster = None
    if spec.address is None:
        cluster = LocalCluster(**cluster_kwargs(spec))
        spec = spec.model_copy(update={"address": cluster.scheduler_address})
    try:
        with ThreadPoolExecutor(len(paths)) as pool:    # each flow in a copy of this context (Prefect's settings)
            futures = [pool.submit(contextvars.copy_context().run, run_request, p, output, spec) for p in paths]
            return [f.result() for f in futures]
    finally:
        if cluster is not None:
            cluster.close()


def _round(v: Any, digits: int = 4) -> Any:
    return round(v, digits) if isinstance(v, float) else v


def _artifacts(req: SynthesisRequest, result: dict, evaluation: dict, contract: dict | None) -> None:
    """The run's outcome in Prefect: a table of gates (measured, threshold, pass/fail, rounded) and
    a summary that says PUBLISHED or REJECTED with every reason, as the report does."""
    s = evaluation["scores"]
    # Prefect artifact keys: lowercase ASCII letters, digits and dashes
    key = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in req.name.lower()).strip("-") or "request"
    rows = [{"gate": g["name"], "result": g["status"].upper(), "measured": _round(g["measured"]),
             "threshold": "off" if g["threshold"] is None else _round(g["threshold"]),
             "bound": "min" if g["name"].startswith("min_") else "max"} for g in s["gates"]]
    rows += [{"gate": f"({m['measure']})", "result": "", "measured": _round(m["value"]), "threshold": "", "bound": ""}
             for m in evaluation["headline"]]
    create_table_artifact(rows, key=f"{key}-scores",
                          description=f"synthgan {req.name} run {result['run_id']}: {result['outcome']['headline']}")
    gates = "\n".join(f"- **{g['status']}** `{g['name']}`: measured {_fmt(g['measured'])}, threshold "
                      f"{'off' if g['threshold'] is None else _fmt(g['threshold'])}" for g in s["gates"])
    contract_line = ("no contract" if contract is None else "; ".join(
        f"{part}: {st['successful_expectations']}/{st['evaluated_expectations']} expectations hold"
        for part, st in contract["statistics"].items()))
    published = result["status"] == "published"
    where = (f"- data: `{result['path']}/data`\n" if published else
             f"- nothing published; reasons and report: `{result['path']}`\n")
    md = (f"# {req.name}: {result['outcome']['headline']}\n\nRun `{result['run_id']}`\n\n"
          f"{where}- report: `{result['report']}`\n- contract: {contract_line}\n")
    if not published:
        md += "\n## Why nothing was published\n" + "\n".join(f"- {r}" for r in result["reasons"]) + "\n"
    md += f"\n## Gates\n{gates}\n"
    create_markdown_artifact(md, key=f"{key}-summary", description=f"synthgan run of {req.name}")


def _fmt(v: Any) -> str:
    return "n/a" if v is None else (f"{v:.4f}" if isinstance(v, float) else str(v))
