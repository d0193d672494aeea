"""Run requests: one on its executor, or several (concurrently on one Dask cluster); each run's
result whether published or rejected (an error is raised)."""

from __future__ import annotations

from pathlib import Path

from prefect import tags

from pipelines.executors import cluster_kwargs, require_server, task_runner
from pipelines.synthesize import RunRejected, synthesize
from synthgan.errors import ConfigError
from synthgan.request import ExecutorSpec, load_request


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
