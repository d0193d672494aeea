"""Save and load a :class:`RelationalGAN` folder: one TabularGAN folder a table, reference tables
as Parquet, the plan and metadata as JSON (no pickle)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from synthgan import files as io
from synthgan.synthesizers import persistence
from synthgan.ingest.database import Metadata
from synthgan.synthesizers.relational.plan import TablePlan

FORMAT = "synthgan.relational/1"


def save_relational(gan, directory: Path) -> Path:
    with io.AtomicFolder(directory) as tmp:
        for name, model in gan.models_.items():
            if model is not None:
                model.save(tmp / "tables" / name)
        for name, frame in gan.reference_.items():
            (tmp / "reference").mkdir(exist_ok=True)
            frame.to_parquet(tmp / "reference" / f"{name}.parquet", index=False)
            counts = pd.DataFrame({f"__n_{k}": v for k, v in gan.reference_counts_[name].items()})
            counts.to_parquet(tmp / "reference" / f"{name}.counts.parquet", index=False)
        io.write_json(tmp / "config.json", {
            "format": FORMAT, "hyperparameters": gan.settings_.to_dict(), "seed": gan.seed_,
            "metadata": gan.metadata_.to_dict(), "order": gan.order_,
            "plans": {n: p.to_dict() for n, p in gan.plans_.items()}, "real_rows": gan.real_rows_,
            "orphans": gan.orphans_, "models": {n: m is not None for n, m in gan.models_.items()}})
        io.write_manifest(tmp, {
            "format": FORMAT, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "library_versions": io.library_versions(), "seed": gan.seed_, "tables": gan.real_rows_,
            "train_seconds": round(gan.train_seconds_, 3)})
    return directory


def load_relational(cls, directory: Path, device: str):
    from synthgan.synthesizers.tabular import TabularGAN
    cfg = persistence.read_model_config(directory, FORMAT)
    with persistence.malformed_model(directory):
        gan = cls.from_settings(cfg["hyperparameters"], device=device)
        gan.seed_, gan.order_ = cfg["seed"], list(cfg["order"])
        gan.metadata_ = Metadata.from_dict(cfg["metadata"], str(directory / "config.json"))
        gan.plans_ = {n: TablePlan(**p) for n, p in cfg["plans"].items()}
        gan.real_rows_, gan.orphans_ = dict(cfg["real_rows"]), dict(cfg["orphans"])
        gan.models_ = {n: TabularGAN.load(directory / "tables" / n, device=device) if has else None
                       for n, has in cfg["models"].items()}
        gan.reference_ = {n: pd.read_parquet(directory / "reference" / f"{n}.parquet")
                          for n, p in gan.plans_.items() if p.reference}
        gan.reference_counts_ = {}
        for n in gan.reference_:
            counts = pd.read_parquet(directory / "reference" / f"{n}.counts.parquet")
            gan.reference_counts_[n] = {c.removeprefix("__n_"): counts[c].to_numpy() for c in counts.columns}
        gan.train_seconds_ = io.read_json(directory / "manifest.json").get("train_seconds", 0.0)
        gan._sample_seq_ = np.random.SeedSequence(gan.seed_).spawn(len(gan.order_) + 1)[-1]
        return gan
