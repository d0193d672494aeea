"""Time-series peers for the benchmarks: real labelled sets from sktime and two peer generators,
DoppelGANger (gretel-synthetics' DGAN) and SDV's PARSynthesizer.

They run in their own benchmark-only environment, bench/.venv-series-peers, made on first use by
``ensure_series_peer_env()``; this module (main venv) only writes Parquet files, starts
bench/_series_peer_worker.py in that environment and reads its Parquet/JSON back. Nothing here
imports a peer.

What the environment holds (Python 3.11, last built with these):
- torch 2.13.0+cpu, installed first from the wheel on this machine's disk and pinned on every
  later pip call, so no step can swap it for a CUDA build;
- sdv 2.0.0 (PARSynthesizer; brings deepecho 0.8.1, rdt 2.0.0, numpy 2.4, pandas 2.3);
- sktime 1.2.0 and pyarrow 26.0.1;
- gretel-synthetics 0.22.20 installed with ``--no-deps``, plus category-encoders 2.11.2. pip
  cannot install any gretel-synthetics >= 0.21 on Python 3.11: they all require rdt>=1.2,<1.3,
  whose releases need Python < 3.11 ("No matching distribution found for rdt<1.3,>=1.2"); the
  newest that resolves, 0.20.0, has no variable-length support and drags in TensorFlow Privacy /
  Probability. Those pins (rdt, sdv<0.18, numpy<1.24, pandas<2) serve gretel's ACTGAN and text
  models; timeseries_dgan itself imports only torch, numpy, pandas, scipy and category_encoders,
  which the smoke runs exercised. ``pip check`` therefore reports gretel's unmet pins: expected.

The marker bench/.venv-series-peers/.installed (JSON) records the requested steps, the installed
versions, the pip error of the resolver attempt for gretel-synthetics, and any step that failed;
the environment is rebuilt when the requested steps change (delete the marker to force it).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent
SERIES_PEER_VENV = ROOT / ".venv-series-peers"
WORKER = ROOT / "_series_peer_worker.py"
CACHE = ROOT / "work" / "sktime"
TORCH = "torch==2.13.0"
# (step, pip arguments, module that must import afterwards). Each step is its own pip call, so one
# that fails leaves the others usable; torch is named in every resolving call to pin it.
STEPS = (
    ("torch", [TORCH, "pyarrow==26.0.1"], "torch"),
    ("sdv", [TORCH, "sdv==2.0.0"], "sdv.sequential"),
    ("sktime", [TORCH, "sktime==1.2.0"], "sktime.datasets"),
    ("gretel", ["--no-deps", "gretel-synthetics==0.22.20"], None),
    ("gretel-deps", [TORCH, "category-encoders==2.11.2"], "gretel_synthetics.timeseries_dgan.dgan"),
)
GRETEL_RESOLVE = [TORCH, "gretel-synthetics==0.22.20"]   # tried first, only to record why it fails
NEEDS = {"load": ("torch", "sktime"), "dgan": ("torch", "gretel", "gretel-deps"), "par": ("torch", "sdv")}
SKTIME_SETS = ("ArrowHead", "ItalyPowerDemand", "JapaneseVowels", "BasicMotions")
VERSIONED = ("torch", "sdv", "deepecho", "rdt", "sktime", "gretel-synthetics", "category-encoders",
             "numpy", "pandas", "scipy", "scikit-learn", "pyarrow")


def _tail(text: str, lines: int = 25) -> str:
    kept = [ln for ln in text.splitlines() if "is ignored: it is neither a file nor a directory" not in ln]
    return "\n".join(kept[-lines:])


def _wanted() -> list:
    return [[name, args] for name, args, _ in STEPS]


def _read_marker() -> dict | None:
    marker = SERIES_PEER_VENV / ".installed"
    try:
        return json.loads(marker.read_text())
    except (OSError, ValueError):
        return None


def ensure_series_peer_env() -> Path:
    """The python of bench/.venv-series-peers, creating the venv and installing the steps of STEPS
    (torch 2.13.0 CPU first, then sdv 2.0.0, sktime 1.2.0, gretel-synthetics 0.22.20 without its
    pins) when the marker is missing or lists other steps. A step whose pip call or import fails is
    recorded in the marker (with pip's error) and the others are still installed; callers that need
    it get that error from ``require_steps``. Re-check with ``series_peer_info()``."""
    py = SERIES_PEER_VENV / "bin" / "python"
    info = _read_marker()
    if info is not None and info.get("steps") == _wanted() and py.exists():
        return py
    print("preparing", SERIES_PEER_VENV, "(torch CPU build, sdv, sktime, gretel-synthetics)", flush=True)
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(SERIES_PEER_VENV)], check=True)
    pip = [str(py), "-m", "pip", "install", "-q"]
    failed, notes = {}, {}
    for name, args, module in STEPS:
        if name == "gretel":
            r = subprocess.run(pip + ["--dry-run"] + GRETEL_RESOLVE, capture_output=True, text=True, check=False)
            if r.returncode != 0:
                errors = [ln for ln in (r.stdout + r.stderr).splitlines()
                          if ln.startswith("ERROR") and "Ignored the following versions" not in ln]
                notes["gretel_resolver_error"] = "\n".join(errors[-3:])
                notes["gretel_note"] = ("rdt 1.2.x (required by every gretel-synthetics >= 0.21) "
                                        "ships only for Python < 3.11; installed with --no-deps")
        if any(dep in failed for dep in ("torch",)) and name != "torch":
            failed[name] = "skipped: torch step failed"
            continue
        r = subprocess.run(pip + args, capture_output=True, text=True, check=False)
        if r.returncode != 0:
            failed[name] = _tail(r.stdout + r.stderr)
            print(f"series peers: step {name} failed:\n{failed[name]}", file=sys.stderr, flush=True)
            continue
        if module:
            r = subprocess.run([str(py), "-c", f"import {module}"], capture_output=True, text=True, check=False)
            if r.returncode != 0:
                failed[name] = "import failed: " + _tail(r.stderr, 10)
                print(f"series peers: step {name}: {failed[name]}", file=sys.stderr, flush=True)
    torch_now = _versions(py).get("torch", "")
    if not torch_now.startswith("2.13.0"):
        failed["torch"] = f"torch is {torch_now!r} after the installs, not 2.13.0"
    info = {"steps": _wanted(), "versions": _versions(py), "failed": failed, **notes}
    (SERIES_PEER_VENV / ".installed").write_text(json.dumps(info, indent=1))
    return py


def _versions(py: Path) -> dict:
    code = ("import json, importlib.metadata as m\nout = {}\n"
            f"for p in {list(VERSIONED)!r}:\n"
            "    try: out[p] = m.version(p)\n"
            "    except m.PackageNotFoundError: pass\n"
            "print(json.dumps(out))")
    r = subprocess.run([str(py), "-c", code], capture_output=True, text=True, check=False)
    return json.loads(r.stdout) if r.returncode == 0 else {}


def series_peer_info() -> dict:
    """The marker's record (steps, installed versions, failed steps with pip's error, the resolver
    error for gretel-synthetics), preparing the environment first if needed."""
    ensure_series_peer_env()
    return _read_marker() or {}


def require_steps(what: str) -> Path:
    """The peer python, or RuntimeError naming the failed install step(s) that ``what`` ("load",
    "dgan" or "par") needs, with the pip error recorded for them."""
    py = ensure_series_peer_env()
    failed = (_read_marker() or {}).get("failed", {})
    bad = {s: failed[s] for s in NEEDS[what] if s in failed}
    if bad:
        detail = "\n".join(f"[{s}] {e}" for s, e in bad.items())
        raise RuntimeError(f"{what}: bench/.venv-series-peers lacks step(s) {sorted(bad)}:\n{detail}")
    return py


def _run_worker(what: str, job: dict, tmp: Path, timeout: float | None = None) -> dict:
    py = require_steps(what)
    job = {**job, "info": str(tmp / "info.json")}
    (tmp / "job.json").write_text(json.dumps(job))
    r = subprocess.run([str(py), str(WORKER), str(tmp / "job.json")], capture_output=True, text=True,
                       cwd=str(ROOT), timeout=timeout, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"series peer worker ({what}) failed with exit code {r.returncode}; "
                           f"stderr tail:\n{_tail(r.stderr, 30)}")
    return json.loads((tmp / "info.json").read_text())


def load_sktime_set(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) of a UCR/UEA classification set bundled inside sktime 1.2.0 (ArrowHead,
    ItalyPowerDemand, JapaneseVowels, BasicMotions), in synthgan's long format: ``series`` (int,
    unique across train and test: train 0..n_train-1, test after it), ``step`` (0..len-1),
    ``f0``, ``f1``, ... (float64, one per channel) and ``label`` (str).

    Read by sktime.datasets.load_UCR_UEA_dataset(name, split=..., return_type="pd-multiindex")
    from sktime/datasets/data/<name>/ in the peer venv with sockets blocked (the worker refuses to
    run if the .ts files are not bundled, so nothing is downloaded). Variable-length series keep
    their real lengths (JapaneseVowels: 7-26 steps in train, 7-29 in test, 12 channels), no
    padding rows. Cached under bench/work/sktime/<name>-{train,test}.parquet; later calls read the
    cache without starting the peer venv."""
    if name not in SKTIME_SETS:
        raise ValueError(f"unknown set {name!r}; one of {SKTIME_SETS}")
    paths = {s: CACHE / f"{name}-{s}.parquet" for s in ("train", "test")}
    if not all(p.exists() for p in paths.values()):
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            _run_worker("load", {"task": "load", "name": name, "train": str(tmp / "train.parquet"),
                                 "test": str(tmp / "test.parquet")}, tmp)
            for s, p in paths.items():
                (tmp / f"{s}.parquet").replace(p)
    train, test = (pd.read_parquet(paths[s]) for s in ("train", "test"))
    for df in (train, test):
        df["label"] = df["label"].astype("str")
    return train, test


def run_peer(peer: str, train: pd.DataFrame, n: int, seed: int, *, entity: str = "series",
             time: str = "step", features: list[str], static: list[str],
             budget: dict | None = None, threads: int | None = None,
             timeout: float | None = None) -> tuple[pd.DataFrame, float]:
    """Fit a peer on long-format ``train`` and generate ``n`` series: (synthetic frame, fit seconds
    measured inside the worker around the library's fit call only).

    ``peer``: "dgan" = gretel-synthetics 0.22.20 DGAN (DoppelGANger, torch 2.13.0 CPU) or
    "par" = sdv 2.0.0 PARSynthesizer (deepecho 0.8.1). ``static`` columns must be constant within
    a series: DGAN attributes / PAR context columns. String columns are discrete (categorical),
    numeric ones continuous, in ``features`` and ``static`` alike. Rows are ordered by
    (``entity``, ``time``); ``time`` itself is not modelled (steps are taken as regular).

    ``budget`` goes to the library's own settings, anything left out keeps the library default:
    DGAN: any DGANConfig field except max_sequence_len (epochs 400, batch_size 1024 by default;
    sample_len has no library default: the divisor of the longest length that makes the LSTM run
    closest to 50 steps, e.g. 1 for 24 or 251 steps); PAR: PARSynthesizer arguments (epochs 128,
    sample_size, segment_size, cuda, ...). Seeds python, numpy and torch before the fit (and, for
    PAR, again before sampling, with the context GaussianCopula seeded too); neither library has a
    seed argument of its own. ``threads`` sets torch.set_num_threads in the worker (None: torch's
    default). Both libraries default to cuda=True, i.e. a GPU when one is present.

    Variable length, DGAN: max_sequence_len = the longest training series; gretel pads shorter
    ones (zeros, internally) and adds a discrete generation-flag feature (True, ..., True, False at
    the last real step), and its generate_dataframe cuts each generated series after the first
    False, so generated lengths come from the model (a series with no False keeps the full
    length). Unlike the original DoppelGANger, gretel's generator does not zero its outputs after
    the flag ends a series: the flag is learnt as an ordinary discrete feature, against zero
    padding. In the smoke runs (20 labelled sines of 12-24 steps) 2 epochs gave every series
    length 1 and 50-300 epochs gave every series the full 24: measure the lengths at your budget.
    PAR models the sequence end itself (the same 2-epoch run gave 12-18 steps).

    Returns the frame in the same long format: ``entity`` 0..n-1, ``time`` 0..len-1, the features
    (float64, or str for discrete ones) and the static columns (the training dtype; integer
    columns rounded). ``df.attrs["peer_info"]`` holds the worker's report (fit and sample seconds,
    settings used, versions, lengths). A worker failure raises RuntimeError naming the peer and the
    tail of the worker's stderr."""
    if peer not in ("dgan", "par"):
        raise ValueError(f"unknown peer {peer!r} (dgan or par)")
    cols = [entity, time, *features, *static]
    missing = [c for c in cols if c not in train.columns]
    if missing:
        raise KeyError(f"{peer}: columns {missing} not in the training frame {list(train.columns)}")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        train[cols].to_parquet(tmp / "train.parquet", index=False)
        job = {"task": "fit", "peer": peer, "train": str(tmp / "train.parquet"),
               "out": str(tmp / "out.parquet"), "n": int(n), "seed": int(seed), "entity": entity,
               "time": time, "features": list(features), "static": list(static),
               "budget": budget or {}, "threads": threads}
        info = _run_worker(peer, job, tmp, timeout)
        out = pd.read_parquet(tmp / "out.parquet")
    for c in [*features, *static]:
        if pd.api.types.is_string_dtype(train[c]) or train[c].dtype == object:
            out[c] = out[c].astype(train[c].dtype)
    out.attrs["peer_info"] = info
    return out, float(info["fit_s"])
