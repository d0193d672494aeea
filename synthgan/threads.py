"""One setting for every thread pool of a process: torch's, and numpy's BLAS and scikit-learn's
OpenMP through threadpoolctl (what a well-kept library already does is not written again).

``SYNTHGAN_THREADS`` (an integer) sets them all. Without it: the cores this process may run on,
less those other processes keep busy right now (at least one). On a shared host whose cores are
all busy, pools of several threads spend their time waiting for each other's descheduled threads:
a 300-row evaluation took 25 s instead of 0.7 s under a load of 5 on 2 cores, and 1.6 s with one
thread (bench/threads_loaded.py). Passive OpenMP waiting (OMP_WAIT_POLICY=PASSIVE) was measured
too and rejected: it made the same evaluation 9x and training 2x slower on an idle machine.
"""

from __future__ import annotations

import os

from synthgan.errors import ConfigError

ENV = "SYNTHGAN_THREADS"
_configured: int | None = None


def allowed_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and taskset narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                      # not on Linux
        return max(1, os.cpu_count() or 1)


def busy_elsewhere() -> int:
    """Runnable tasks of other processes right now (Linux /proc/loadavg's running count, less this
    one); 0 where that cannot be read."""
    try:
        running = int(open("/proc/loadavg").read().split()[3].split("/")[0])
    except (OSError, IndexError, ValueError):
        return 0
    return max(0, running - 1)


def thread_count(value: int | str | None = None) -> int:
    """``value``, else ``$SYNTHGAN_THREADS``, else the allowed cores not busy elsewhere (>= 1)."""
    raw = value if value is not None else os.environ.get(ENV, "").strip() or None
    if raw is None:
        return max(1, allowed_cores() - busy_elsewhere())
    try:
        n = int(raw)
    except (TypeError, ValueError):
        n = 0
    if n < 1:
        raise ConfigError(f"{ENV}: expected a positive number of threads, got {raw!r}")
    return n


def configure_threads(value: int | str | None = None, once: bool = False) -> int:
    """Set torch's and the BLAS/OpenMP pools of this process to :func:`thread_count` threads
    (with ``once``, keep what an earlier call of this process chose)."""
    global _configured
    if once and _configured is not None:
        return _configured
    n = thread_count(value)
    # Runtimes loaded later (torch is imported on first use) and child processes read these.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(n)
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=n)                 # process-wide: not used as a context manager
    import sys
    if "torch" in sys.modules:                  # never import torch just for this
        sys.modules["torch"].set_num_threads(n)
    _configured = n
    return n
