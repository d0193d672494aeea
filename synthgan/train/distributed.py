"""Data-parallel training with torch DistributedDataParallel, when launched by torchrun.

    torchrun --nproc-per-node 2 -m synthgan.cli fit data.csv --out models/m --epochs 300
    synthgan fit data.csv --out models/m --nproc-per-node 2        # the same, launched for you

Every process (rank) builds the same networks; DDP broadcasts rank 0's weights at the start and
averages the gradients of every step, so the weights stay identical on all ranks while each rank
draws its own real batches and noise (the effective batch is ``world_size`` times the configured
one). Backend: NCCL on CUDA (one GPU per rank, ``LOCAL_RANK``), gloo on the CPU. Rank 0 alone
writes the model.
"""

from __future__ import annotations

import gc
import os
import sys
from contextlib import contextmanager
from typing import Iterator

import torch
import torch.distributed as dist
from torch import nn


def launched() -> bool:
    """True inside a process started by torchrun (or any launcher setting WORLD_SIZE > 1)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def active() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def init_from_env() -> bool:
    """Join the process group torchrun describes (no-op when not launched or already joined).
    Returns whether training is distributed."""
    if not launched() or not dist.is_available():
        return False
    if not dist.is_initialized():
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
            dist.init_process_group("nccl")
        else:
            dist.init_process_group("gloo")
    return True


@contextmanager
def process_group() -> Iterator[bool]:
    """Joined to torchrun's process group (when launched by it) for the block, left after it;
    yields whether training is distributed."""
    try:
        yield init_from_env()
    except BaseException:
        shutdown(meet=False)                # a failed rank must not wait for peers still training
        raise
    shutdown()


def rank() -> int:
    return dist.get_rank() if active() else 0


def world_size() -> int:
    return dist.get_world_size() if active() else 1


def is_main() -> bool:
    return rank() == 0


def wrap(module: nn.Module, device: torch.device) -> nn.Module:
    """``module`` under DistributedDataParallel when distributed, else unchanged."""
    if not active():
        return module
    from torch.nn.parallel import DistributedDataParallel
    ids = [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=ids)


def unwrap(module: nn.Module) -> nn.Module:
    return getattr(module, "module", module)


def broadcast_buffers(module: nn.Module) -> None:
    """Copy rank 0's buffers into every rank's ``module`` (the EMA generator's BatchNorm statistics,
    re-estimated on rank-specific batches). Parameters need no copy: DDP keeps them equal."""
    if not active():
        return
    with torch.no_grad():
        for t in module.buffers():
            dist.broadcast(t.data, src=0)


def barrier() -> None:
    if active():
        dist.barrier()


def shutdown(meet: bool = True) -> None:
    """Leave the process group: every rank first meets the others (none tears its connections
    down while a peer still talks to it), then the group is destroyed while the interpreter is
    whole. gloo's worker threads abort a process whose group is left to interpreter teardown."""
    if dist.is_available() and dist.is_initialized():
        if meet and active():
            dist.barrier()
        gc.collect()                        # DDP wrappers in reference cycles still hold the group
        dist.destroy_process_group()


def leave(code: int = 0) -> None:
    """End a torchrun worker process now, its output flushed: skips the interpreter's teardown,
    where C++ threads of torch.distributed can abort an otherwise finished run (exit status -6,
    "terminate called without an active exception"). Call only after the process group is left."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def rank_seed(seq):
    """A ``numpy.random.SeedSequence`` of this rank's own (same on every run): each rank draws
    different batches and noise. Unchanged when not distributed."""
    return seq.spawn(world_size())[rank()] if active() else seq
