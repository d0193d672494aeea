"""Save and load a :class:`TimeSeriesGAN` folder (safetensors + JSON; no pickle)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from synthgan.errors import ModelFileError
from synthgan.ingest.timeseries import SeriesData
from synthgan import files as io
from synthgan.synthesizers import persistence
from synthgan.train.device import resolve_device

FORMAT = "synthgan.timeseries/2"        # the convolutional generator
RECURRENT = "synthgan.timeseries/1"     # folders saved before the redesign: a recurrent generator


def save_series_model(gan, directory: Path) -> Path:
    s = gan.series_
    with io.AtomicFolder(directory) as tmp:
        io.save_weights(tmp / "generator.safetensors", gan.generator_.state_dict())
        if gan.static_gan_ is not None:
            gan.static_gan_.save(tmp / "static")
        io.write_json(tmp / "config.json", {
            "format": FORMAT, "hyperparameters": gan.settings_.to_dict(), "seed": gan.seed_, "cond_dim": gan.cond_dim_,
            "scale": {"lo": gan.lo_.tolist(), "hi": gan.hi_.tolist(), "mode": gan.scale_mode_,
                      "unit": gan.unit_},
            "privacy_spent": gan.privacy_spent_,
            "series": {"entity": s.entity, "time": s.time, "features": s.features, "static": list(s.static.columns),
                       "max_len": s.max_len, "time_kind": s.time_kind, "time_start": s.time_start,
                       "time_step": s.time_step, "integer_entities": bool(np.issubdtype(s.entities.dtype, np.integer))}})
        io.write_manifest(tmp, {
            "format": FORMAT, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "library_versions": io.library_versions(), "seed": gan.seed_, "series": len(s.lengths),
            "train_seconds": round(gan.train_seconds_, 3), "epochs": len(gan.history_),
            "privacy": gan.privacy_spent_})
    return directory


def load_series_model(cls, directory: Path, device: str):
    from synthgan.synthesizers.timeseries.nets import generator_for, legacy_generator
    from synthgan.synthesizers.timeseries.histogram import FILE as HISTOGRAM_FILE
    from synthgan.synthesizers.timeseries.histogram import DiscreteHistogram
    from synthgan.synthesizers.tabular import TabularGAN
    cfg = persistence.read_model_config(directory, (FORMAT, RECURRENT))
    with persistence.malformed_model(directory):
        saved = {"output_noise": False, **cfg["hyperparameters"]}   # folders saved before the option had none
        gan = cls.from_settings(saved, device=device)
        gan.device_, gan.seed_, gan.cond_dim_ = resolve_device(device), cfg["seed"], cfg["cond_dim"]
        gan.lo_, gan.hi_ = np.asarray(cfg["scale"]["lo"]), np.asarray(cfg["scale"]["hi"])
        gan.scale_mode_ = cfg["scale"].get("mode", "global")      # folders saved before per-series scaling
        gan.unit_ = float(cfg["scale"].get("unit", 1.0))            # ... and before the headroom
        sr = cfg["series"]
        entities = np.zeros(1, dtype=np.int64 if sr["integer_entities"] else object)
        gan.series_ = SeriesData(np.zeros((0, sr["max_len"], len(sr["features"])), np.float32), np.zeros(0, np.int64),
                                 pd.DataFrame(columns=sr["static"]), entities, sr["features"], sr["entity"], sr["time"],
                                 sr["time_kind"], sr["time_start"], sr["time_step"])
        if (directory / "static" / HISTOGRAM_FILE).is_file():
            gan.static_gan_ = DiscreteHistogram.load(directory / "static")
        else:
            gan.static_gan_ = TabularGAN.load(directory / "static", device=device) if (directory / "static").is_dir() else None
        n_feat = len(sr["features"])
        net = legacy_generator(saved, gan.cond_dim_, n_feat) if cfg["format"] == RECURRENT else \
            generator_for(gan.settings_, gan.cond_dim_, n_feat)
        gan.generator_ = net.to(gan.device_)
        try:
            gan.generator_.load_state_dict(io.load_weights(directory / "generator.safetensors", gan.device_))
        except RuntimeError as e:
            raise ModelFileError(f"{directory / 'generator.safetensors'}: does not match config.json ({e})") from None
        gan.generator_.eval().requires_grad_(False)
        gan.history_ = []
        gan.privacy_spent_ = cfg.get("privacy_spent")              # None: trained without DP
        gan.train_seconds_ = io.read_json(directory / "manifest.json").get("train_seconds", 0.0)
        gan._sample_seq_ = np.random.SeedSequence(gan.seed_).spawn(4)[3]
        return gan
