"""Sharded generation at scale, through the real pipeline: Prefect server + Dask LocalCluster.

    python bench/scaleout_generation.py --data ../shared/datasets/adult.csv
writes bench/results/scaleout_generation.json.

1. Starts a real Prefect server (pipelines.server) and fits a small TabularGAN on Adult through the
   flow (a warm-up request; the fit is cached for the runs after it). The model's quality is not
   the point here: quality gates and the contract are off, so every run publishes.
2. Throughput: the same request of ``--throughput-rows`` rows on a LocalCluster of 1 worker, then
   of 2 workers (single-threaded processes). Generation throughput = rows / (last shard end - first
   shard start), read from the task runs the Prefect server recorded.
3. Scale: ``--rows`` (default 20 million) rows on 2 workers, published by a fresh
   ``synthgan run ... --executor dask`` process; the resident memory of that process and every
   process it starts (Dask scheduler in-process, nannies, workers; the Prefect server is reported
   apart) is sampled every 0.2 s and the peak of the sum recorded.
Targets: peak resident memory of the run < 2 GB; 2-worker throughput >= 1.6x 1-worker.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
from pipelines.server import prefect_server, use_server  # noqa: E402
from pipelines.runs import run_request  # noqa: E402
from synthgan.request import ExecutorSpec  # noqa: E402

OFF = {g: None for g in ("min_fidelity_score", "max_detection_auc", "min_utility_ratio", "min_dcr_ratio",
                         "max_exact_copy_rate", "max_membership_auc")}


class TreeMemory:
    """Peak of the summed RSS of a process and all its descendants, sampled every ``every`` s."""

    def __init__(self, root: psutil.Process, every: float = 0.2) -> None:
        self.root, self.every, self.peak, self.peak_parts = root, every, 0, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        try:
            procs = [self.root] + self.root.children(recursive=True)
        except psutil.Error:
            return
        parts = {}
        for p in procs:
            try:
                parts[f"{p.pid}:{' '.join(p.cmdline()[1:3])[:60]}"] = p.memory_info().rss
            except psutil.Error:
                pass
        total = sum(parts.values())
        if total > self.peak:
            self.peak, self.peak_parts = total, parts

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.every)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def write_request(folder: Path, name: str, data: Path, rows: int, shard_rows: int, epochs: int) -> Path:
    """One request file per run; all share the request name and output, hence the cached model."""
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({
        "name": "adult-scale", "modality": "tabular", "source": {"path": str(data.resolve())}, "target": "income",
        "model": {"preset": "fast", "epochs": epochs}, "generate": {"rows": rows, "shard_rows": shard_rows},
        "gates": OFF, "output": str(folder / "published"), "seed": 0}))
    return path


def shard_phase(flow_run_id: str) -> dict:
    """First shard start to last shard end of one flow run, from the Prefect server's records."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    runs, page = [], 200                                    # the server's largest page
    with get_client(sync_client=True) as client:
        while True:
            got = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
                                        limit=page, offset=len(runs))
            runs += got
            if len(got) < page:
                break
    shards = [r for r in runs if r.name.startswith("generate shard")]
    start = min(r.start_time for r in shards)
    end = max(r.end_time for r in shards)
    return {"shards": len(shards), "seconds": (end - start).total_seconds()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path("../shared/datasets/adult.csv"))
    p.add_argument("--rows", type=int, default=20_000_000)
    p.add_argument("--throughput-rows", type=int, default=2_000_000)
    p.add_argument("--shard-rows", type=int, default=250_000)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--work", type=Path, default=ROOT / "work" / "scaleout")
    p.add_argument("--out", type=Path, default=ROOT / "results" / "scaleout_generation.json")
    a = p.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    a.work.mkdir(parents=True)
    out: dict = {"setup": {"rows": a.rows, "throughput_rows": a.throughput_rows, "shard_rows": a.shard_rows,
                           "epochs": a.epochs, "cpus": psutil.cpu_count(), "data": a.data.name}}
    with prefect_server(a.work / "prefect") as url, use_server(url):
        server_pids = {c.pid for c in psutil.Process().children(recursive=True)}
        t0 = time.perf_counter()
        run_request(write_request(a.work, "warmup", a.data, 1000, a.shard_rows, a.epochs),
                    executor=ExecutorSpec(kind="local"))
        out["warmup_seconds"] = time.perf_counter() - t0
        through = {}
        for workers in (1, 2):
            req = write_request(a.work, f"throughput-{workers}", a.data, a.throughput_rows, a.shard_rows, a.epochs)
            res = run_request(req, executor=ExecutorSpec(kind="dask", workers=workers))
            phase = shard_phase(res["flow_run_id"])
            through[workers] = {**phase, "rows_per_second": a.throughput_rows / phase["seconds"],
                                "content_hash": json.loads((Path(res["path"]) / "manifest.json").read_text())[
                                    "content_hash"]}
            shutil.rmtree(res["path"], ignore_errors=True)
            print(f"{workers} worker(s): {through[workers]}", flush=True)
        out["throughput"] = {str(k): v for k, v in through.items()}
        out["throughput_ratio_2_vs_1"] = through[2]["rows_per_second"] / through[1]["rows_per_second"]
        out["same_rows_1_and_2_workers"] = through[1]["content_hash"] == through[2]["content_hash"]

        # The big run as a user starts it: a fresh `synthgan run` process (the model is cached by now).
        req = write_request(a.work, "big", a.data, a.rows, a.shard_rows, a.epochs)
        cli = Path(sys.executable).with_name("synthgan")
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(cli), "run", str(req), "--executor", "dask", "--workers", "2"],
                                env={**os.environ, "PREFECT_API_URL": url}, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        with TreeMemory(psutil.Process(proc.pid)) as mem:
            log = proc.communicate()[0]
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"synthgan run failed ({proc.returncode}):\n{log[-3000:]}")
        home = a.work / "published" / "adult-scale"
        res = {"status": "published", "path": str(home / (home / "LATEST").read_text().strip())}
        res["flow_run_id"] = json.loads((Path(res["path"]) / "manifest.json").read_text())["flow_run_id"]
        manifest = json.loads((Path(res["path"]) / "manifest.json").read_text())
        server_rss = sum(psutil.Process(pid).memory_info().rss for pid in server_pids if psutil.pid_exists(pid))
        out["scale"] = {"status": res["status"], "rows_published": manifest["rows"],
                        "parts": len(manifest["shards"]), "workers": manifest["workers"],
                        "wall_seconds": wall, **{f"shard_phase_{k}": v for k, v in shard_phase(
                            res["flow_run_id"]).items()},
                        "peak_rss_bytes": mem.peak, "peak_rss_gb": mem.peak / 1e9,
                        "peak_rss_by_process_mb": {k: round(v / 1e6) for k, v in mem.peak_parts.items()},
                        "prefect_server_rss_mb_at_end": round(server_rss / 1e6),
                        "published_bytes": sum(f.stat().st_size for f in (Path(res["path"]) / "data").iterdir())}
        out["scale"]["rows_per_second"] = a.rows / out["scale"]["shard_phase_seconds"]
    out["targets"] = {"peak_rss_gb_max": 2.0, "throughput_ratio_min": 1.6}
    out["met"] = {"memory": out["scale"]["peak_rss_gb"] < 2.0 and out["scale"]["rows_published"] == a.rows,
                  "throughput": out["throughput_ratio_2_vs_1"] >= 1.6}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))
    shutil.rmtree(a.work, ignore_errors=True)


if __name__ == "__main__":
    main()
