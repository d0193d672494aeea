"""Save and load a :class:`TabularGAN` folder; no pickle anywhere."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from synthgan.errors import ModelFileError
from synthgan.schema import Schema
from synthgan import files as io
from synthgan.synthesizers import persistence
from synthgan.synthesizers.tabular.spans import SpanOps
from synthgan.train.device import resolve_device
from synthgan.transform.dependencies import Dependency
from synthgan.transform.table import TableTransformer

FORMAT = "synthgan.tabular/1"


def save_model(gan, directory: Path) -> Path:
    with io.AtomicFolder(directory) as tmp:
        io.save_weights(tmp / "generator.safetensors", gan.generator_.state_dict())
        io.write_json(tmp / "config.json", {
            "format": FORMAT, "hyperparameters": gan.settings_.to_dict(), "seed": gan.seed_,
            "batch_size": gan.batch_size_, "pac": gan.pac_, "trained_on": gan.device_.type,
            "privacy_spent": getattr(gan, "privacy_spent_", None)})
        io.write_json(tmp / "transformer.json", gan.transformer_.to_state())
        if gan.condition_rows_ is not None:
            import torch
            io.save_weights(tmp / "conditions.safetensors", {"codes": torch.from_numpy(gan.condition_rows_)})
        io.write_json(tmp / "dependencies.json", [d.to_dict() for d in gan.dependencies_])
        (tmp / "schema.json").write_text(gan.schema_.to_json() + "\n")
        with (tmp / "losses.jsonl").open("w") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in gan.history_)
        last = gan.history_[-1] if gan.history_ else {}
        io.write_manifest(tmp, {
            "format": FORMAT, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "library_versions": io.library_versions(), "seed": gan.seed_,
            # differential privacy spent by the fit (None: trained without DP); see synthgan.train.private
            "privacy": getattr(gan, "privacy_spent_", None),
            "data": {"fingerprint": gan.fingerprint_, "rows": gan.n_rows_, "columns": gan.schema_.names},
            "metrics": {"transformer_seconds": round(gan.transformer_seconds_, 4),
                        "train_seconds": round(gan.train_seconds_, 4), "epochs": len(gan.history_),
                        "final_losses": {k: v for k, v in last.items() if k.startswith("loss")}},
            "files": ["generator.safetensors", "config.json", "transformer.json", "dependencies.json", "schema.json",
                      "losses.jsonl"] + (["conditions.safetensors"] if gan.condition_rows_ is not None else [])})
    return directory


def load_model(cls, directory: Path, device: str):
    cfg = persistence.read_model_config(directory, FORMAT)
    with persistence.malformed_model(directory):
        gan = cls.from_settings(cfg["hyperparameters"], device=device)   # validated, before any allocation
        gan.device_ = resolve_device(device)
        gan.seed_, gan.batch_size_, gan.pac_ = cfg["seed"], cfg["batch_size"], cfg["pac"]
        gan.privacy_spent_ = cfg.get("privacy_spent")
        gan.transformer_ = TableTransformer.from_state(io.read_json(directory / "transformer.json"))
        gan.schema_ = Schema.from_json((directory / "schema.json").read_text())
        deps = directory / "dependencies.json"
        gan.dependencies_ = [Dependency.from_dict(d) for d in io.read_json(deps)] if deps.exists() else []
        import torch  # local: keep module import light for the CLI's --help
        cond_file = directory / "conditions.safetensors"
        gan.condition_rows_ = None
        if cond_file.exists():
            codes = io.load_weights(cond_file, torch.device("cpu")).get("codes")
            n_cond = len(gan.transformer_.layout_.cond_spans)
            if codes is None or codes.ndim != 2 or codes.shape[1] != n_cond:
                raise ModelFileError(f"{cond_file}: expected a 'codes' tensor of shape (rows, {n_cond})")
            codes = codes.numpy().astype(np.int64)
            if ((codes < 0) | (codes >= gan.transformer_.layout_.cond_sizes[None, :])).any():
                raise ModelFileError(f"{cond_file}: holds codes outside the levels in transformer.json")
            gan.condition_rows_ = codes
        gan.sampler_ = gan._make_sampler(gan.transformer_, gan.condition_rows_)
        from synthgan.transform import constraints as rules
        gan.constraints_ = rules.parse(gan.settings_.constraints)
        manifest = io.read_json(directory / "manifest.json")
        gan.fingerprint_, gan.n_rows_ = manifest["data"]["fingerprint"], manifest["data"]["rows"]
        gan.transformer_seconds_ = manifest["metrics"]["transformer_seconds"]
        gan.train_seconds_ = manifest["metrics"]["train_seconds"]
        gan._build_networks(torch.Generator().manual_seed(0))  # weights are overwritten just below
        state = io.load_weights(directory / "generator.safetensors", gan.device_)
        try:
            gan.generator_.load_state_dict(state)
        except RuntimeError as e:
            raise ModelFileError(f"{directory / 'generator.safetensors'}: does not match config.json ({e})") from None
        gan.generator_.eval().requires_grad_(False)
        del gan._critic
        gan._ops = SpanOps(gan.transformer_.layout_, gan.device_)
        log = directory / "losses.jsonl"
        gan.history_ = [json.loads(line) for line in log.read_text().splitlines() if line] if log.exists() else []
        gan._sample_seq_ = np.random.SeedSequence(gan.seed_).spawn(5)[4]
        return gan
