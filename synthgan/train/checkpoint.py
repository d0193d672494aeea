"""Checkpoints of an adversarial fit, without pickle: every tensor (both networks, the EMA
generator, both optimisers, the torch generator's state) in one safetensors file, everything else
(step, history, optimiser hyperparameters, numpy generator state) in JSON; written atomically as a
folder, so a kill leaves either the previous checkpoint or the new one.

    <dir>/state.safetensors
    <dir>/state.json       {"format", "epoch", "step", "history", "opt": {...}, "numpy_rng": {...}}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from synthgan.errors import ModelFileError
from synthgan import files as io
from synthgan.train import distributed



class Trainer(Protocol):
    """What a checkpoint holds of a trainer (:class:`synthgan.train.loop.AdversarialTrainer`)."""

    g: torch.nn.Module
    d: torch.nn.Module
    ema: torch.nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    scaler: torch.amp.GradScaler
    rng: torch.Generator
    problem: Any
    step: int
    history: list[dict]

FORMAT = "synthgan.checkpoint/1"


def _flatten_optimizer(prefix: str, opt: torch.optim.Optimizer, tensors: dict) -> dict:
    """Tensors of an optimiser's state into ``tensors``; returns the JSON part (param groups, keys)."""
    sd = opt.state_dict()
    scalars: dict[str, dict[str, Any]] = {}
    for idx, st in sd["state"].items():
        for name, v in st.items():
            if torch.is_tensor(v):
                tensors[f"{prefix}.{idx}.{name}"] = v
            else:
                scalars.setdefault(str(idx), {})[name] = v
    return {"param_groups": sd["param_groups"], "scalars": scalars, "indices": [int(i) for i in sd["state"]]}


def _restore_optimizer(prefix: str, opt: torch.optim.Optimizer, meta: dict, tensors: dict) -> None:
    state: dict[int, dict[str, Any]] = {}
    for idx in meta["indices"]:
        st = {k.rsplit(".", 1)[1]: v for k, v in tensors.items() if k.startswith(f"{prefix}.{idx}.")}
        st.update(meta["scalars"].get(str(idx), {}))
        state[idx] = st
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def save(trainer: Trainer, folder: Path, epoch: int) -> None:
    """Write the trainer's whole state after ``epoch`` epochs to ``folder`` (replacing it atomically)."""
    if not distributed.is_main():               # under torchrun rank 0 alone writes
        return
    tensors: dict[str, torch.Tensor] = {}
    for name, module in (("g", distributed.unwrap(trainer.g)), ("d", distributed.unwrap(trainer.d)),
                         ("ema", trainer.ema)):
        for k, v in module.state_dict().items():
            tensors[f"{name}.{k}"] = v
    opt = {"g": _flatten_optimizer("opt_g", trainer.opt_g, tensors),
           "d": _flatten_optimizer("opt_d", trainer.opt_d, tensors)}
    tensors["rng.torch"] = trainer.rng.get_state()
    np_rng = getattr(trainer.problem, "np_rng", None)
    meta = {"format": FORMAT, "epoch": epoch, "step": trainer.step, "history": trainer.history, "opt": opt,
            "scaler": trainer.scaler.state_dict() if trainer.scaler.is_enabled() else None,
            "numpy_rng": np_rng.bit_generator.state if np_rng is not None else None}
    with io.AtomicFolder(folder) as tmp:
        io.save_weights(tmp / "state.safetensors", tensors)
        (tmp / "state.json").write_text(json.dumps(meta, default=_json_int))


def _json_int(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def load(trainer: Trainer, folder: Path) -> int:
    """Restore the trainer from ``folder``; returns the number of epochs already done."""
    try:
        meta = json.loads((folder / "state.json").read_text())
        if meta.get("format") != FORMAT:
            raise ModelFileError(f"{folder / 'state.json'}: format {meta.get('format')!r}, expected {FORMAT!r}")
        tensors = io.load_weights(folder / "state.safetensors", torch.device("cpu"))
        for name, module in (("g", distributed.unwrap(trainer.g)), ("d", distributed.unwrap(trainer.d)),
                             ("ema", trainer.ema)):
            part = {k[len(name) + 1:]: v for k, v in tensors.items() if k.startswith(f"{name}.")}
            module.load_state_dict(part)
        _restore_optimizer("opt_g", trainer.opt_g, meta["opt"]["g"], tensors)
        _restore_optimizer("opt_d", trainer.opt_d, meta["opt"]["d"], tensors)
        trainer.rng.set_state(tensors["rng.torch"])
        if meta.get("scaler") and trainer.scaler.is_enabled():
            trainer.scaler.load_state_dict(meta["scaler"])
        np_rng = getattr(trainer.problem, "np_rng", None)
        if np_rng is not None and meta.get("numpy_rng") is not None:
            np_rng.bit_generator.state = meta["numpy_rng"]
        trainer.step, trainer.history = int(meta["step"]), list(meta["history"])
        return int(meta["epoch"])
    except ModelFileError:
        raise
    except (OSError, KeyError, TypeError, ValueError, RuntimeError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{folder}: unusable checkpoint ({type(e).__name__}: {e})") from None
