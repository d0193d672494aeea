"""DistributedDataParallel training: 2 processes with the gloo backend on the CPU (torchrun)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import torch
from safetensors.torch import load_file

from synthgan import TabularGAN
from tests.conftest import REPO, make_mixed


def torchrun(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
                           *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_two_ranks_end_with_identical_weights_and_a_valid_model(tmp_path):
    data = tmp_path / "mixed.csv"
    real = make_mixed(400)
    real.to_csv(data, index=False)
    run = torchrun(str(Path(__file__).with_name("ddp_fit.py")), str(data), str(tmp_path))
    assert run.returncode == 0, run.stderr[-3000:]
    r0, r1 = load_file(str(tmp_path / "rank0.safetensors")), load_file(str(tmp_path / "rank1.safetensors"))
    assert r0.keys() == r1.keys() and any(k.startswith("critic.") for k in r0)
    for k in r0:
        assert torch.equal(r0[k], r1[k]), f"{k} differs between ranks"
    single = TabularGAN(epochs=3, min_steps=0, batch_size=100, random_state=0).fit(pd.read_csv(data))
    assert not torch.equal(r0["critic." + next(iter(single._critic.state_dict()))],
                           single._critic.state_dict()[next(iter(single._critic.state_dict()))])  # ranks saw more data
    gan = TabularGAN.load(tmp_path / "model")
    rows = gan.sample(300, random_state=1)
    assert list(rows.columns) == list(pd.read_csv(data).columns) and len(rows) == 300
    assert set(rows["group"].dropna()) <= set(real["group"])


def test_cli_fit_launches_torchrun_and_rank_zero_writes_the_model(tmp_path):
    data = tmp_path / "mixed.csv"
    make_mixed(400).to_csv(data, index=False)
    cli = Path(sys.executable).with_name("synthgan")
    run = subprocess.run([str(cli), "fit", str(data), "--out", str(tmp_path / "m"), "--epochs", "2", "--min-steps", "0",
                          "--batch-size", "100", "--seed", "0", "--quiet", "--nproc-per-node", "2"],
                         cwd=REPO, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "torch.distributed.run" in run.stderr and "2 processes" in run.stdout
    assert TabularGAN.load(tmp_path / "m").sample(50, random_state=0).shape[0] == 50
