"""The synthesis flow (every modality): ingest -> split -> fit -> generate -> contract -> evaluate ->
gate -> publish.

Tasks are thin wrappers over :mod:`synthgan.steps` (tables), :mod:`synthgan.steps_series` (time
series) or :mod:`synthgan.steps_images` and pass paths. Tables are generated in shards
(:mod:`synthgan.shards`), mapped over the flow's task runner: in-process by default, or Dask
(:mod:`pipelines.executors`). I/O tasks retry; the fit is
cached on (training-data fingerprint, model configuration, seed, contract) both by Prefect and by
the model folder it writes, so a rerun with nothing changed skips training. Results are stored as
JSON (no pickle).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, task, unmapped
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from pipelines.executors import cluster_kwargs, require_server, shard_threads, task_runner
from synthgan import steps, steps_images, steps_series
from synthgan.errors import ConfigError
from synthgan.publish import publish_parts, publish_run, reject_run
from synthgan.request import ExecutorSpec, SynthesisRequest, load_request

IO = {"retries": 2, "retry_delay_seconds": 1, "persist_result": False}


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


@task(name="fit", cache_key_fn=_fit_key, persist_result=True, result_serializer="json")
def fit_task(train: str, schema: str, req: SynthesisRequest, model_dir: str) -> str:
    if steps.usable_model(Path(model_dir)):              # fitted by an earlier run with the same key
        return model_dir
    return _steps(req).fit(train, schema, req, Path(model_dir))


@task(name="generate", persist_result=False)
def generate_task(model_dir: str, train: str, req: SynthesisRequest, work: str) -> dict:
    return _steps(req).generate(model_dir, train, req, Path(work))


@task(name="plan shards", persist_result=False)
def plan_task(model_dir: str, train: str, req: SynthesisRequest) -> dict:
    return steps.plan(model_dir, train, req)


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
def evaluate_task(paths: dict, req: SynthesisRequest, work: str) -> dict:
    return _steps(req).evaluate(paths, req, Path(work))


@task(name="publish", **IO)
def publish_task(req: SynthesisRequest, run_id: str, paths: dict, contract: dict | None, evaluation: dict) -> str:
    import pandas as pd

    from synthgan.schema import Schema
    from prefect.runtime import flow_run
    manifest = {**steps.manifest(req, paths, contract, evaluation), "flow_run_id": str(flow_run.id)}
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


@flow(name="synthgan-synthesize", log_prints=True, task_runner=ThreadPoolTaskRunner(max_workers=1))
def synthesize(request_path: str, output: str | None = None, torch_threads: int | None = None) -> dict:
    """Run one request end to end; returns where it published, or why it did not.

    Runs on the task runner it is given (see :func:`run_request`); ``torch_threads`` caps torch's
    threads inside each generation shard (one per Dask worker process)."""
    from synthgan.threads import configure_threads
    configure_threads(once=True)            # this process's pools, unless the CLI already set them
    req = load_request(request_path)
    if output:
        req = req.model_copy(update={"output": Path(output).resolve()})
    run_id = new_run_id()
    home = Path(req.output) / req.name
    from prefect import get_run_logger

    from synthgan.housekeeping import make_work, remove_work, sweep
    for line in sweep(home):                 # what crashed runs of this request left behind
        get_run_logger().warning(line)
    work = make_work(home, run_id)
    try:
        paths = dict(ingest_task(req, str(work)))
        paths["real_rows"] = paths.pop("rows")
        paths.update(split_task(paths["real"], paths["schema"], req, str(work)))
        model = steps.model_folder(req, paths["fingerprint"])
        paths["model"] = fit_task(paths["train"], paths["schema"], req, str(model))
        if req.modality == "tabular":
            # planning loads the model (torch): on the task runner, so that with Dask this process never does
            planned = plan_task.submit(paths["model"], paths["train"], req).result()
            futures = shard_task.map(unmapped(paths["model"]), planned["shards"], unmapped(planned["pii"]),
                                     unmapped(str(work)), unmapped(_metadata(req, run_id, paths)),
                                     unmapped(torch_threads), unmapped(paths["train"]))
            paths.update(collect_task(futures.result(), paths["train"], req, str(work)))
        else:
            paths.update(generate_task(paths["model"], paths["train"], req, str(work)))
        contract = contract_task(paths, req, str(work))
        evaluation = evaluate_task(paths, req, str(work))
        reasons = list(evaluation["failed_gates"])
        if contract is not None and not contract["success"]:
            reasons += [f"contract: {m}" for m in contract["failures"]]
        if reasons:
            status, where = "rejected", reject_task(
                req, run_id, {"run_id": run_id, "reasons": reasons, "scores": evaluation["scores"]}, evaluation["report"])
        else:
            status, where = "published", publish_task(req, run_id, paths, contract, evaluation)
        from prefect.runtime import flow_run
        result = {"status": status, "run_id": run_id, "path": where, "report": str(Path(where) / "report.html"),
                  "reasons": reasons, "flow_run_id": str(flow_run.id)}
        _artifacts(req, result, evaluation, contract)
        return result
    finally:
        remove_work(work)


def run_request(request_path: str | Path, output: str | Path | None = None,
                executor: ExecutorSpec | None = None) -> dict:
    """Run one request on its executor (``executor`` overrides the request's)."""
    spec = executor or load_request(request_path).executor
    require_server(spec)
    flow_ = synthesize.with_options(task_runner=task_runner(spec))
    return flow_(str(request_path), str(output) if output else None, shard_threads(spec))


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


def _artifacts(req: SynthesisRequest, result: dict, evaluation: dict, contract: dict | None) -> None:
    s = evaluation["scores"]
    # Prefect artifact keys: lowercase ASCII letters, digits and dashes
    key = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in req.name.lower()).strip("-") or "request"
    create_table_artifact(evaluation["headline"], key=f"{key}-scores", description=f"synthgan scores of {req.name}")
    gates = "\n".join(f"- **{g['status']}** {g['reason']}" for g in s["gates"])
    contract_line = ("no contract" if contract is None else "; ".join(
        f"{part}: {st['successful_expectations']}/{st['evaluated_expectations']} expectations hold"
        for part, st in contract["statistics"].items()))
    md = (f"# {req.name}: {result['status']}\n\nRun `{result['run_id']}`\n\n"
          f"- data: `{result['path']}`\n- report: `{result['report']}`\n- contract: {contract_line}\n\n"
          f"## Gates\n{gates}\n")
    if result["reasons"]:
        md += "\n## Why nothing was published\n" + "\n".join(f"- {r}" for r in result["reasons"]) + "\n"
    create_markdown_artifact(md, key=f"{key}-summary", description=f"synthgan run of {req.name}")
