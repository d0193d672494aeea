"""Work folders of real data: private, removed, and swept up after a crash (synthgan.steps.housekeeping)."""

import json
import os
import stat
import subprocess
import sys
import tempfile
import threading

from synthgan.steps.housekeeping import make_work, remove_work, sweep
from synthgan.publish import publish_run
from synthgan.schema import infer_schema
from synthgan.files import AtomicFolder
from tests.conftest import make_mixed


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_work_folders_are_private_and_removed(tmp_path):
    work = make_work(tmp_path / "req", "run1")
    assert mode(work) == 0o700 and mode(work.parent) == 0o700
    assert json.loads((work / "owner.json").read_text())["pid"] == os.getpid()
    (work / "train.parquet").write_text("real rows")
    remove_work(work)
    assert not (tmp_path / "req" / ".work").exists()


def test_a_work_folder_is_removed_while_late_shards_still_write_into_it(tmp_path):
    """A stopped run removes its work folder while shard threads are still writing parts (as a
    shard does: a temporary file in parts/, never recreating the folder); none may survive it."""
    for attempt in range(3):
        work = make_work(tmp_path / f"req{attempt}", "run1")
        (work / "parts").mkdir()
        for i in range(200):
            (work / "parts" / f"part-{i:05d}.parquet").write_bytes(b"x" * 100)
        stop, started = threading.Event(), threading.Event()

        def shard():
            while not stop.is_set():
                try:
                    fd, _ = tempfile.mkstemp(suffix=".tmp", dir=work / "parts")
                    os.close(fd)
                except OSError:
                    pass
                started.set()

        writers = [threading.Thread(target=shard) for _ in range(2)]
        for t in writers:
            t.start()
        started.wait(5)
        remove_work(work)
        stop.set()
        for t in writers:
            t.join()
        assert not (tmp_path / f"req{attempt}" / ".work").exists(), f"attempt {attempt}: {list(work.parent.rglob('*'))[:5]}"


def test_sweep_removes_what_dead_runs_left_and_keeps_live_ones(tmp_path):
    home = tmp_path / "req"
    live = make_work(home, "live")
    dead = make_work(home, "dead")
    (dead / "owner.json").write_text(json.dumps({"pid": dead_pid(), "host": json.loads(
        (live / "owner.json").read_text())["host"]}))
    (dead / "real.parquet").write_text("ssn 123-45-6789")
    elsewhere = make_work(home, "other-host")
    (elsewhere / "owner.json").write_text(json.dumps({"pid": 1, "host": "another-machine"}))
    half = home / f".run9.tmp-{dead_pid()}-abcd"
    half.mkdir()
    mine = home / f".run8.tmp-{os.getpid()}-abcd"
    mine.mkdir()
    (home / "_models").mkdir()
    model_tmp = home / "_models" / f".key.tmp-{dead_pid()}-x"
    model_tmp.mkdir()
    said = sweep(home)
    assert not dead.exists() and not half.exists() and not model_tmp.exists()
    assert live.exists() and elsewhere.exists() and mine.exists()
    assert len(said) == 3 and any("process" in s and "no longer running" in s for s in said)


def test_published_runs_get_ordinary_permissions_and_temporary_names_carry_the_pid(tmp_path):
    df = make_mixed(50)
    run = publish_run(tmp_path, "req", "r1", df, infer_schema(df), {"request": {}})
    mask = os.umask(0)
    os.umask(mask)
    assert mode(run) == 0o777 & ~mask and mode(run / "data") == 0o777 & ~mask
    assert all(mode(p) == 0o666 & ~mask for p in run.rglob("*") if p.is_file())
    assert mode(tmp_path / "req" / "LATEST") == 0o666 & ~mask
    with AtomicFolder(tmp_path / "model") as tmp:
        assert f".tmp-{os.getpid()}-" in tmp.name
    assert mode(tmp_path / "model") == 0o700                 # models stay private
