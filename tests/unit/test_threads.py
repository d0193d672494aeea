"""One setting for every thread pool (synthgan.threads)."""

import os

import pytest
import torch
from threadpoolctl import threadpool_info

from synthgan.errors import ConfigError
from synthgan.threads import allowed_cores, configure_threads, thread_count


def test_the_setting_sizes_torch_blas_and_openmp_pools(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setenv("SYNTHGAN_THREADS", "1")
    try:
        assert configure_threads() == 1
        assert torch.get_num_threads() == 1 and os.environ["OMP_NUM_THREADS"] == "1"
        assert all(pool["num_threads"] == 1 for pool in threadpool_info())
    finally:
        configure_threads(before)
    assert configure_threads(1, once=True) == before            # once: an earlier choice stands


def test_default_is_the_free_cores_allowed_and_bad_values_are_named(monkeypatch):
    monkeypatch.delenv("SYNTHGAN_THREADS", raising=False)
    assert allowed_cores() == len(os.sched_getaffinity(0))
    assert 1 <= thread_count() <= allowed_cores()
    monkeypatch.setattr("synthgan.threads.busy_elsewhere", lambda: 0)
    assert thread_count() == allowed_cores()
    monkeypatch.setattr("synthgan.threads.busy_elsewhere", lambda: 50)
    assert thread_count() == 1
    for bad in ("zero", "0", "-2"):
        monkeypatch.setenv("SYNTHGAN_THREADS", bad)
        with pytest.raises(ConfigError, match=f"SYNTHGAN_THREADS: expected a positive number of threads, got '{bad}'"):
            thread_count()
