"""The Dask executor on a real Prefect server (started here) and a LocalCluster of 2 worker processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.server import prefect_server, use_server
from pipelines.runs import run_request, run_requests
from synthgan.errors import ConfigError
from synthgan.request import ExecutorSpec
from tests.pipelines.test_flow import write_request


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with prefect_server(tmp_path_factory.mktemp("prefect-home")) as url, use_server(url):
        yield url


def manifest(result: dict) -> dict:
    return json.loads((Path(result["path"]) / "manifest.json").read_text())


def test_dask_shards_run_in_two_worker_processes_and_match_local(server, tmp_path):
    path = write_request(tmp_path, generate={"rows": 4000, "shard_rows": 250, "per_condition": {"group": {"c": 500}}})
    on_dask = run_request(path, executor=ExecutorSpec(kind="dask", workers=2))
    assert on_dask["status"] == "published", on_dask["reasons"]
    m = manifest(on_dask)
    assert len(m["shards"]) == 18 and m["rows"] == 4500
    assert len(m["workers"]) == 2                           # two worker processes ran shards
    in_process = run_request(path, executor=ExecutorSpec(kind="local"))
    assert manifest(in_process)["workers"] != m["workers"]
    assert manifest(in_process)["content_hash"] == m["content_hash"]     # same rows whatever ran them
    from prefect.client.orchestration import get_client
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs()
    assert sum(r.name.startswith("generate shard") for r in runs) >= 36  # recorded by the real server


def flow_runs() -> int:
    from prefect.client.orchestration import get_client
    with get_client(sync_client=True) as client:
        return len(client.read_flow_runs())


def test_several_requests_run_concurrently_on_one_cluster(server, tmp_path):
    paths = [write_request(tmp_path, name=n, generate={"rows": 1000, "shard_rows": 250}) for n in ("one", "two")]
    before = flow_runs()
    results = run_requests(paths, executor=ExecutorSpec(kind="dask", workers=2))
    assert [r["status"] for r in results] == ["published", "published"]
    assert manifest(results[0])["content_hash"] == manifest(results[1])["content_hash"]
    assert flow_runs() == before + 2           # both flow runs (in their threads) went to the real server


def test_dask_without_a_server_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with pytest.raises(ConfigError, match="PREFECT_API_URL is not set.*make server"):
        run_request(write_request(tmp_path), executor=ExecutorSpec(kind="dask"))
