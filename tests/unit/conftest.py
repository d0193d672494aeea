from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="module")
def pools_sized_for_an_idle_process():
    """Size the thread pools for these flow-free tests as a process starting now would
    (:func:`synthgan.threads.configure_threads`), and put back what was there. A flow run earlier in
    the session sizes them once, while the session's Prefect server is busy answering it: one thread,
    which made the scarce-data series test take 214 s instead of 147 s. (Sizing them for the whole
    session instead slowed the flow tests, whose server then competes with two torch threads.)"""
    import torch

    import synthgan.threads as threads
    before, configured = torch.get_num_threads(), threads._configured
    threads.configure_threads()
    yield
    threads.configure_threads(before)
    threads._configured = configured
