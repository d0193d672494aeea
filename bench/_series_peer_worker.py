"""Runs inside bench/.venv-series-peers (never in the main venv); called by bench/series_peers.py.

One job per process, described by a JSON file given as the only argument:

- ``{"task": "load", "name": ..., "train": PATH, "test": PATH}``: reads one of the UCR/UEA sets
  bundled inside the sktime package (sktime.datasets.load_UCR_UEA_dataset, which looks in
  sktime/datasets/data/ first) and writes train and test in synthgan's long format (series, step,
  f0.., label) as Parquet.
- ``{"task": "fit", "peer": "dgan"|"par", "train": PATH, "out": PATH, "info": PATH, "n": ..,
  "seed": .., "entity": .., "time": .., "features": [..], "static": [..], "budget": {..},
  "threads": ..}``: fits DoppelGANger (gretel_synthetics.timeseries_dgan.DGAN) or SDV's
  PARSynthesizer on the long-format Parquet, generates ``n`` series, writes them as Parquet in the
  same long format and the timings and settings as JSON.

Every job runs with sockets blocked (socket.connect / create_connection raise), so a loader or a
library that tried to reach the network fails loudly instead of downloading. Ran with torch
2.13.0+cpu, sktime 1.2.0, sdv 2.0.0 (deepecho 0.8.1, rdt 2.0.0), gretel-synthetics 0.22.20
(installed without its pins, see series_peers.py), numpy 2.4, pandas 2.3.
"""

from __future__ import annotations

import json
import logging
import math
import random
import socket
import sys
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd


def _block_network() -> None:
    def refuse(*_args, **_kw):
        raise RuntimeError("network access blocked in the series peer worker")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse


# --------------------------------------------------------------------------- sktime sets

def _sktime_long(X: pd.DataFrame, y: np.ndarray, first_id: int) -> pd.DataFrame:
    """sktime 'pd-multiindex' panel (instance, time) x dim_k, labels -> long format."""
    inst = X.index.get_level_values(0)
    codes, uniques = pd.factorize(inst, sort=False)
    if len(uniques) != len(y):
        raise ValueError(f"{len(uniques)} instances but {len(y)} labels")
    out = pd.DataFrame({"series": (codes + first_id).astype(np.int64)})
    out["step"] = out.groupby("series").cumcount().astype(np.int64)
    for k, col in enumerate(X.columns):
        out[f"f{k}"] = X[col].to_numpy(dtype=np.float64)
    out["label"] = np.asarray(y).astype(str)[codes]
    if out[[c for c in out.columns if c.startswith("f")]].isna().any().any():
        raise ValueError("NaN values in the loaded panel (padding?)")
    return out


def task_load(job: dict) -> dict:
    import sktime
    from sktime.datasets import load_UCR_UEA_dataset

    name = job["name"]
    bundled = Path(sktime.__file__).parent / "datasets" / "data" / name
    for split in ("TRAIN", "TEST"):
        if not (bundled / f"{name}_{split}.ts").exists():
            raise FileNotFoundError(f"{name}_{split}.ts is not bundled in {bundled}; refusing to download")
    frames, first = {}, 0
    for split in ("train", "test"):
        X, y = load_UCR_UEA_dataset(name, split=split, return_type="pd-multiindex")
        frames[split] = _sktime_long(X, y, first)
        first = int(frames[split]["series"].max()) + 1
        frames[split].to_parquet(job[split], index=False)
    return {"sktime": version("sktime"), "source": str(bundled)}


# --------------------------------------------------------------------------- peers

def _seed_all(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _default_sample_len(max_len: int) -> int:
    """The divisor of max_len that makes the generator's LSTM run closest to 50 steps (log scale):
    DGANConfig has no default; the DoppelGANger paper emits S steps per LSTM cell to keep the
    recurrence short. 24 -> 1, 100 -> 2, 251 (prime) -> 1."""
    divisors = [d for d in range(1, max_len + 1) if max_len % d == 0]
    return min(divisors, key=lambda d: (abs(math.log((max_len / d) / 50.0)), d))


def _fit_dgan(df, entity, features, static, discrete, n, budget):
    from dataclasses import fields

    from gretel_synthetics.timeseries_dgan.config import DGANConfig
    from gretel_synthetics.timeseries_dgan.dgan import DGAN

    lengths = df.groupby(entity).size()
    max_len = int(lengths.max())
    allowed = {f.name for f in fields(DGANConfig)} - {"max_sequence_len"}
    unknown = set(budget) - allowed
    if unknown:
        raise ValueError(f"unknown DGAN budget keys {sorted(unknown)}; DGANConfig takes {sorted(allowed)}")
    kw = dict(budget)
    kw.setdefault("sample_len", _default_sample_len(max_len))
    config = DGANConfig(max_sequence_len=max_len, **kw)
    model = DGAN(config)
    t0 = time.perf_counter()
    # Long style with an example id: gretel pads shorter series internally (zeros) and, when any
    # series is shorter than max_sequence_len, adds a discrete "generation flag" feature (True on
    # every step but the last), which generate_dataframe uses to cut each generated series.
    model.train_dataframe(df, attribute_columns=static or None, feature_columns=features,
                          example_id_column=entity, discrete_columns=discrete or None,
                          df_style="long")
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = model.generate_dataframe(n)
    sample_s = time.perf_counter() - t0
    used = {k: getattr(config, k) for k in ("max_sequence_len", "sample_len", "epochs", "batch_size", "cuda")}
    used["variable_length_flag"] = bool((lengths < max_len).any())
    return out, fit_s, sample_s, used


def _fit_par(df, entity, features, static, discrete, n, budget, seed):
    import inspect

    from sdv.metadata import Metadata
    from sdv.sequential import PARSynthesizer

    allowed = set(inspect.signature(PARSynthesizer.__init__).parameters) - {"self", "metadata", "context_columns"}
    unknown = set(budget) - allowed
    if unknown:
        raise ValueError(f"unknown PAR budget keys {sorted(unknown)}; PARSynthesizer takes {sorted(allowed)}")
    columns = {entity: {"sdtype": "id"}}
    for c in features + static:
        columns[c] = {"sdtype": "categorical"} if c in discrete else {"sdtype": "numerical"}
    # No sequence_index: the rows are in step order and the steps are regular, so PAR models the
    # order of the rows (a sequence index would make it also model the step differences).
    table = "series"
    metadata = Metadata.load_from_dict({"tables": {table: {"columns": columns, "sequence_key": entity}}})
    synth = PARSynthesizer(metadata, context_columns=static, **budget)
    t0 = time.perf_counter()
    synth.fit({table: df})
    fit_s = time.perf_counter() - t0
    _seed_all(seed)
    ctx = getattr(synth, "_context_synthesizer", None)
    if ctx is not None and hasattr(ctx, "_set_random_state"):
        ctx._set_random_state(seed)   # else sdv fixes the context sampler to one seed for all runs
    t0 = time.perf_counter()
    out = synth.sample_sequences(n)
    if isinstance(out, dict):
        out = out[table]
    sample_s = time.perf_counter() - t0
    used = {k: v for k, v in synth.get_parameters().items() if k in ("epochs", "sample_size", "segment_size", "cuda")}
    return out, fit_s, sample_s, used


def task_fit(job: dict) -> dict:
    import torch

    if job.get("threads"):
        torch.set_num_threads(int(job["threads"]))
    peer, entity, time_col = job["peer"], job["entity"], job["time"]
    features, static = list(job["features"]), list(job["static"])
    budget = dict(job.get("budget") or {})
    n, seed = int(job["n"]), int(job["seed"])
    raw = pd.read_parquet(job["train"])
    missing = [c for c in [entity, time_col, *features, *static] if c not in raw.columns]
    if missing:
        raise KeyError(f"columns {missing} not in the training frame {list(raw.columns)}")
    df = raw.sort_values([entity, time_col], kind="stable")[[entity, *features, *static]].copy()
    df[entity] = pd.factorize(df[entity], sort=True)[0].astype(np.int64)
    discrete = [c for c in features + static if not _is_numeric(df[c])]
    for c in discrete:
        df[c] = df[c].astype(str).astype(object)
    for c in features + static:
        if c not in discrete:
            df[c] = df[c].astype(np.float64)
    for c in static:
        if (df.groupby(entity)[c].nunique(dropna=False) > 1).any():
            raise ValueError(f"static column {c!r} is not constant within each series")
    _seed_all(seed)
    if peer == "dgan":
        out, fit_s, sample_s, used = _fit_dgan(df, entity, features, static, discrete, n, budget)
        lib = {"gretel-synthetics": version("gretel-synthetics")}
    elif peer == "par":
        out, fit_s, sample_s, used = _fit_par(df, entity, features, static, discrete, n, budget, seed)
        lib = {"sdv": version("sdv"), "deepecho": version("deepecho")}
    else:
        raise ValueError(f"unknown peer {peer!r} (dgan or par)")

    # Back to synthgan's long format: ids 0..n-1 in order of appearance, steps 0..len-1.
    out = out.reset_index(drop=True)
    ids = pd.factorize(out[entity], sort=False)[0].astype(np.int64)
    res = pd.DataFrame({entity: ids})
    res[time_col] = res.groupby(entity).cumcount().astype(np.int64)
    for c in features + static:
        res[c] = out[c].astype(str).to_numpy() if c in discrete else out[c].astype(np.float64).to_numpy()
        if c not in discrete and _is_numeric(raw[c]) and pd.api.types.is_integer_dtype(raw[c]):
            res[c] = np.rint(res[c]).astype(raw[c].dtype)
    res.to_parquet(job["out"], index=False)
    lengths = res.groupby(entity).size()
    return {"peer": peer, "fit_s": fit_s, "sample_s": sample_s, "settings": used,
            "versions": {"torch": torch.__version__, **lib}, "torch_threads": torch.get_num_threads(),
            "n_series": int(res[entity].nunique()),
            "lengths": [int(lengths.min()), int(lengths.max())]}


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text())
    _block_network()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger().setLevel(logging.WARNING)
    warnings.simplefilter("ignore", FutureWarning)
    info = {"load": task_load, "fit": task_fit}[job["task"]](job)
    Path(job["info"]).write_text(json.dumps(info))


if __name__ == "__main__":
    main()
