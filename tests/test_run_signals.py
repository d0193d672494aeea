"""`synthgan run` as an operator runs it, in its own process: stopped by SIGINT/SIGTERM it publishes
nothing and leaves nothing; killed (SIGKILL) at several stages, its Prefect server dies with it and
the next run sweeps up, leaving no real value of a personal-data column anywhere."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
import yaml

from synthgan.contracts import draft_suite, save_suite
from tests.conftest import make_mixed

CLI = Path(sys.executable).with_name("synthgan")
OFF = {g: None for g in ("min_fidelity_score", "max_detection_auc", "min_utility_ratio", "min_dcr_ratio",
                         "max_exact_copy_rate", "max_membership_auc")}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("signals")
    real = make_mixed(400)
    real["ssn"] = [f"{700 + i % 97:03d}-{i % 89:02d}-{1000 + i:04d}" for i in range(400)]
    real.to_csv(root / "people.csv", index=False)
    save_suite(draft_suite(real, "people", tolerance=10, null_slack=0.9, pii={"ssn": "fake"}), root / "people.json")
    return root


def request(folder: Path, rows: int) -> Path:
    req = {"name": "people", "modality": "tabular", "source": {"path": "people.csv"}, "target": "group",
           "model": {"preset": "fast", "epochs": 2, "hyperparameters": {"min_steps": 0}},
           "generate": {"rows": rows, "shard_rows": 20_000}, "contract": "people.json", "gates": dict(OFF),
           "output": "out", "seed": 0}
    path = folder / f"people-{rows}.yaml"
    path.write_text(yaml.safe_dump(req))
    return path


def start(path: Path) -> subprocess.Popen:
    """The run, its output going to ``run.log`` (a pipe nobody reads while it runs would fill and
    block it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_HOME=str(path.parent / "prefect-home"))
    log = (path.parent / "run.log").open("w")
    # As from an operator's terminal: Ctrl-C delivered. (A test session started in the background of
    # a non-interactive shell ignores SIGINT, and children inherit that; the run would not stop.)
    proc = subprocess.Popen([str(CLI), "run", str(path)], cwd=path.parent, env=env, stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    proc.log = path.parent / "run.log"
    return proc


def finish(proc: subprocess.Popen, timeout: float) -> str:
    proc.wait(timeout=timeout)
    return proc.log.read_text()


def wait_for(proc: subprocess.Popen, pattern: str, root: Path, timeout: float = 180.0) -> list[psutil.Process]:
    """Wait until a file matching ``pattern`` exists under ``root`` while ``proc`` still runs;
    return the process's children then (its Prefect server among them)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the run ended before {pattern} appeared:\n{proc.log.read_text()}"
        if list(root.glob(pattern)):
            return psutil.Process(proc.pid).children(recursive=True)
        time.sleep(0.1)
    raise AssertionError(f"{pattern} did not appear within {timeout} s")


def gone(procs: list[psutil.Process], timeout: float = 15.0) -> bool:
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    return not alive


def real_values_left(root: Path, values: set[str]) -> list[str]:
    """Every file under ``root`` that holds one of ``values`` (Parquet read as data, since its pages
    are compressed; other files as bytes)."""
    found = []
    for p in root.rglob("*"):
        if not p.is_file():
            continue
        if p.suffix == ".parquet" or p.name.endswith(".parquet.tmp"):
            try:
                cells = set(pd.read_parquet(p).astype(str).to_numpy().ravel())
            except Exception:                          # a half-written part: search its bytes
                cells = set()
            if cells & values:
                found.append(str(p))
                continue
        data = p.read_bytes()
        if any(v.encode() in data for v in values):
            found.append(str(p))
    return found


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_publishes_nothing_leaves_nothing_and_stops_its_server(folder, sig):
    out = folder / "out" / "people"
    proc = start(request(folder, 400_000))
    children = wait_for(proc, "out/people/.work/*/parts/part-*.parquet", folder)
    assert any("uvicorn" in " ".join(c.cmdline()) for c in children)
    proc.send_signal(sig)
    output = finish(proc, 60)
    assert proc.returncode == 130, output
    assert "interrupted" in output and "nothing was published" in output
    assert not (out / "LATEST").exists() and not (out / ".work").exists()
    assert not [p for p in out.iterdir() if p.name not in ("_models", "_rejected")]
    assert gone(children)


def test_killed_runs_leave_no_server_and_the_next_run_sweeps_their_real_data(folder):
    real = set(pd.read_csv(folder / "people.csv")["ssn"])
    for stage in ("out/people/.work/*/train.parquet", "out/people/.work/*/parts/part-*.parquet"):
        proc = start(request(folder, 400_000))
        children = wait_for(proc, stage, folder)
        proc.kill()
        proc.wait(timeout=30)
        assert gone(children), f"Prefect server outlived a SIGKILL at {stage}"
    assert real_values_left(folder / "out", real)              # the killed runs' work folders hold them
    proc = start(request(folder, 300))
    output = finish(proc, 300)
    assert proc.returncode == 0, output
    assert "removed stale work folder" in output
    assert real_values_left(folder / "out", real) == []
    assert not (folder / "out" / "people" / ".work").exists()
    assert not [p for p in (folder / "out" / "people").rglob(".*tmp-*")]
