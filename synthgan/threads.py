"""One setting for every thread pool of a process: torch's, and numpy's BLAS and scikit-learn's
OpenMP through threadpoolctl (what a well-kept library already does is not written again).

``SYNTHGAN_THREADS`` (an integer; default: the cores this process may run on) sets them all.
OpenMP threads also wait passively (``OMP_WAIT_POLICY=PASSIVE``, set when synthgan is imported,
before scikit-learn or torch load their OpenMP runtime): with the default spin-waiting, a thread
pool on a loaded host burns the cores its peers need and a 300-row evaluation took 20-50 times
longer (bench/threads_loaded.py measures it).
"""

from __future__ import annotations

import os

from synthgan.errors import ConfigError

ENV = "SYNTHGAN_THREADS"


def allowed_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and taskset narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                      # not on Linux
        return max(1, os.cpu_count() or 1)


def thread_count(value: int | str | None = None) -> int:
    """``value``, else ``$SYNTHGAN_THREADS``, else :func:`allowed_cores`; checked."""
    raw = value if value is not None else os.environ.get(ENV, "").strip() or None
    if raw is None:
        return allowed_cores()
    try:
        n = int(raw)
    except (TypeError, ValueError):
        n = 0
    if n < 1:
        raise ConfigError(f"{ENV}: expected a positive number of threads, got {raw!r}")
    return n


def configure_threads(value: int | str | None = None) -> int:
    """Set torch's and the BLAS/OpenMP pools of this process to :func:`thread_count` threads."""
    n = thread_count(value)
    # Runtimes loaded later (torch is imported on first use) and child processes read these.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(n)
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=n)                 # process-wide: not used as a context manager
    import sys
    if "torch" in sys.modules:                  # never import torch just for this
        sys.modules["torch"].set_num_threads(n)
    return n
