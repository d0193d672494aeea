"""Timing helper shared by the benchmark and its CTGAN worker (no dependency beyond the stdlib)."""

import time


def median_of_three(fn):
    """(last result of ``fn()``, median seconds of three calls): the machines here are noisy."""
    times, result = [], None
    for _ in range(3):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return result, sorted(times)[1]
