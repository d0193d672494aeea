from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def adult_path() -> Path:
    path = SHARED / "adult.csv"
    if not path.exists():
        pytest.fail(f"{path} is missing: the tests expect ../shared/datasets beside the repository")
    return path


@pytest.fixture(scope="session")
def adult(adult_path) -> pd.DataFrame:
    from synthgan import read_table
    return read_table(adult_path).data


def make_mixed(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """A small table with every column kind, nulls, a rare level and a bimodal number."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], size=n, p=[0.6, 0.3, 0.1])
    bimodal = np.where(group == "a", rng.normal(-5, 1, n), rng.normal(5, 1, n))
    score = rng.normal(50, 10, n)
    score[rng.random(n) < 0.15] = np.nan
    color = pd.Series(rng.choice(["red", "green", "blue"], size=n)).astype("str")
    color[rng.random(n) < 0.1] = None
    return pd.DataFrame({
        "row_id": np.arange(1000, 1000 + n, dtype=np.int64),
        "group": pd.Series(group, dtype="str"),
        "bimodal": bimodal,
        "count": rng.poisson(30, n).astype(np.int64),
        "score": score,
        "flag": rng.random(n) < 0.3,
        "color": color,
        "when": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
    })


@pytest.fixture
def mixed() -> pd.DataFrame:
    return make_mixed()


TINY = dict(epochs=1, min_steps=0, batch_size=100, generator_dim=(32, 32), discriminator_dim=(32, 32), noise_dim=16)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A one-epoch TabularGAN of make_mixed(200), saved once per session (tests must not change it)."""
    from synthgan import TabularGAN
    folder = tmp_path_factory.mktemp("tiny-model") / "m"
    TabularGAN(random_state=0, **TINY).fit(make_mixed(200)).save(folder)
    return folder


def reseal(folder: Path) -> None:
    """Rewrite a saved model folder's SHA-256 digests, as someone changing a file by hand and then
    the manifest would (to reach the checks behind the digest check)."""
    import json

    from synthgan import files as io
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.pop("sha256")
    io.write_manifest(folder, manifest)
