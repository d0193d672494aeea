"""Where a flow's generation shards run: in the flow's own process, or on Dask.

``local``: Prefect's thread-pool runner with one thread, so shards run one after the other and
memory stays that of one shard. ``dask``: prefect-dask's DaskTaskRunner, on a LocalCluster of
``workers`` single-threaded processes started for the run, or on the scheduler at ``address``.

Dask workers are other processes: each would start its own throw-away Prefect server unless they
all talk to one real server, so the Dask executor requires PREFECT_API_URL (``make server``).
"""

from __future__ import annotations

import os

from prefect.task_runners import ThreadPoolTaskRunner

from synthgan.errors import ConfigError
from synthgan.request import ExecutorSpec

SERVER_HELP = ("the Dask executor needs a running Prefect server that every worker can reach: start one with "
               "`make server` (prefect server start on 127.0.0.1:4200, analytics off) and "
               "`export PREFECT_API_URL=http://127.0.0.1:4200/api`, then run again")


def require_server(spec: ExecutorSpec) -> None:
    """Dask without PREFECT_API_URL: say what to do instead of starting one server per worker."""
    if spec.kind == "dask" and not os.environ.get("PREFECT_API_URL"):
        raise ConfigError(f"executor {spec.kind!r}: PREFECT_API_URL is not set; {SERVER_HELP}")


def task_runner(spec: ExecutorSpec):
    """The Prefect task runner of ``spec``."""
    if spec.kind == "local":
        return ThreadPoolTaskRunner(max_workers=1)
    from prefect_dask import DaskTaskRunner
    if spec.address:
        return DaskTaskRunner(address=spec.address)
    return DaskTaskRunner(cluster_class="distributed.LocalCluster", cluster_kwargs=cluster_kwargs(spec))


def cluster_kwargs(spec: ExecutorSpec) -> dict:
    """The LocalCluster of ``spec``: ``workers`` single-threaded processes, no dashboard."""
    return {"n_workers": spec.workers, "threads_per_worker": 1, "processes": True, "dashboard_address": None}
