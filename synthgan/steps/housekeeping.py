"""Work folders that hold real data: private while a run uses them, gone when it ends, and swept
up after a crashed run (only folders of synthgan's own kinds, and only when their writer is dead).

    <output>/<name>/.work/<run_id>/            real.parquet, train.parquet, holdout.parquet, parts/
                                   owner.json  {"pid", "host", "started"}: whose run this is
    <output>/<name>/.<x>.tmp-<pid>-*           half-written runs, models, files (AtomicFolder)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import time
from datetime import datetime, timezone
from pathlib import Path

WORK = ".work"
OWNER = "owner.json"
_TEMP = re.compile(r"^\..+\.tmp-(\d+)-")


def make_work(home: Path, run_id: str) -> Path:
    """``home/.work/<run_id>``, private to this user (0700, its parent too), with an owner record."""
    parent = Path(home) / WORK
    parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    parent.chmod(0o700)
    work = parent / run_id
    work.mkdir(mode=0o700)
    work.chmod(0o700)
    (work / OWNER).write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                          "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}))
    return work


def remove_work(work: Path) -> None:
    """Delete a run's work folder, and ``.work`` itself when it is left empty.

    A stopped run removes its folder while shard threads may still be writing parts into it. The
    folder is first renamed (to a hidden name in ``.work``, still swept by :func:`sweep` if this
    process dies now): a late writer's path then no longer resolves, so it fails instead of adding
    a file while the tree is being deleted, which left the folder behind (files open before the
    rename are unlinked with the rest)."""
    work = Path(work)
    doomed = work.with_name(f".removing-{work.name}-{os.getpid()}")
    try:
        os.rename(work, doomed)
    except FileNotFoundError:
        doomed = None
    except OSError:                      # cannot rename (e.g. another filesystem quirk): delete in place
        doomed = work
    if doomed is not None:
        for _ in range(20):
            shutil.rmtree(doomed, ignore_errors=True)
            if not doomed.exists():
                break
            time.sleep(0.05)
    try:
        work.parent.rmdir()
    except OSError:                      # not empty (another run), or already gone
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:              # alive, another user's
        return True
    return True


def _stale_work(folder: Path, host: str) -> str | None:
    """Why ``folder`` (a run's work folder) is stale, or None while its run may still be going."""
    try:
        owner = json.loads((folder / OWNER).read_text())
        pid, owner_host = int(owner["pid"]), str(owner["host"])
    except (OSError, ValueError, KeyError, TypeError):
        return "no owner record (left by an older version or a run killed while starting)"
    if owner_host != host:
        return None                       # another machine's run: we cannot tell, so leave it
    if pid == os.getpid() or _alive(pid):
        return None
    return f"its run (process {pid}) is no longer running"


def sweep(home: Path, max_age_seconds: float = 3600.0) -> list[str]:
    """Remove what crashed runs of ``home`` left: work folders whose run's process is dead, and
    temporary files and folders (``.<x>.tmp-<pid>-*``) of dead processes in ``home``, its
    ``_models`` and ``_rejected``; a temporary name without a process id only when older than
    ``max_age_seconds``. Returns one line for each thing removed."""
    home, host, said = Path(home), socket.gethostname(), []
    work = home / WORK
    if work.is_dir():
        for folder in sorted(work.iterdir()):
            why = _stale_work(folder, host) if folder.is_dir() else None
            if why:
                shutil.rmtree(folder, ignore_errors=True)
                said.append(f"removed stale work folder {folder}: {why}")
        if not any(work.iterdir()):
            work.rmdir()
    for place in (home, home / "_models", home / "_rejected"):
        if not place.is_dir():
            continue
        for p in sorted(place.iterdir()):
            if not p.name.startswith(".") or ".tmp-" not in p.name:
                continue
            m = _TEMP.match(p.name)
            dead = (not _alive(int(m.group(1)))) if m else (time.time() - p.stat().st_mtime > max_age_seconds)
            if dead:
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
                said.append(f"removed {p}: left half-written by a run that is no longer running")
    return said
