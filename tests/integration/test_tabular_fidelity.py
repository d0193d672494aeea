"""What a sample must keep of its real table: exact repeated values and tails, null rates, rare
levels, and on a small table the class structure that a downstream classifier needs."""

import numpy as np
import pandas as pd
import pytest

from synthgan import TabularGAN
from synthgan.evaluate.frames import prepare
from synthgan.evaluate.utility import utility
from tests.unit.test_numeric import spiky

SMALL_NETS = dict(generator_dim=(128, 128), discriminator_dim=(128, 128), noise_dim=64)


def spiky_table(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols = spiky(n, seed)
    country = rng.choice(["home", *(f"c{i:02d}" for i in range(20))], n, p=[0.94] + [0.003] * 20)
    country = pd.Series(country, dtype=object)
    country[rng.random(n) < 0.04] = None
    group = np.where(cols["gain"] > 0, "high", rng.choice(["low", "mid"], n))
    return pd.DataFrame({"age": cols["age"].astype(np.int64), "gain": cols["gain"].astype(np.int64),
                         "hours": cols["hours"].astype(np.int64), "country": country.astype("str").where(
                             country.notna(), None), "group": group})


@pytest.fixture(scope="module")
def spiky_fit():
    df = spiky_table()
    gan = TabularGAN(epochs=1, min_steps=3000, batch_size=200, random_state=0, **SMALL_NETS).fit(df)
    return df, gan.sample(8000, random_state=1)


def share(s: pd.Series, value) -> float:
    return float((s == value).mean())


def test_zero_share_top_code_and_round_value_spike_are_kept(spiky_fit):
    real, syn = spiky_fit
    assert abs(share(syn["gain"], 0) - share(real["gain"], 0)) < 0.02            # ~90 % zeros
    assert abs(share(syn["gain"], 99999) - share(real["gain"], 99999)) < 0.004    # ~0.5 % top-code
    assert abs(share(syn["hours"], 40) - share(real["hours"], 40)) < 0.03         # ~47 % at 40
    assert abs(share(syn["hours"], 50) - share(real["hours"], 50)) < 0.03         # ~10 % at 50
    # no value where the real column has none: below its smallest non-zero, or in the top-code's gap
    tail = real["gain"][(real["gain"] > 0) & (real["gain"] < 99999)]
    odd = syn["gain"][(syn["gain"] != 0) & (syn["gain"] != 99999)]
    assert odd.between(tail.min(), tail.max()).all()


def test_null_rate_and_rare_levels_match_the_real_table(spiky_fit):
    real, syn = spiky_fit
    assert abs(syn["country"].isna().mean() - real["country"].isna().mean()) < 0.01     # ~4 % null
    rare = lambda d: d["country"].notna() & (d["country"] != "home")  # noqa: E731
    assert abs(rare(syn).mean() - rare(real).mean()) < 0.015                           # ~6 % in 20 levels
    assert abs(share(syn["group"], "high") - share(real["group"], "high")) < 0.02


def small_classes(n: int, seed: int) -> pd.DataFrame:
    """Three classes told apart by the joint of four numbers and a category (a few hundred rows)."""
    rng = np.random.default_rng(seed)
    label = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    centre = {"a": (0.0, 0.0), "b": (2.5, 1.0), "c": (0.5, 3.0)}
    xy = np.array([centre[v] for v in label]) + rng.normal(0, 0.7, (n, 2))
    kind = np.where(label == "c", rng.choice(["p", "q"], n, p=[0.8, 0.2]), rng.choice(["p", "q"], n, p=[0.3, 0.7]))
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "z": xy[:, 0] * 2 + rng.normal(0, 0.5, n),
                         "w": rng.gamma(2.0, 10.0, n) + 5 * (label == "b"), "kind": kind, "label": label})


def test_small_table_train_on_synthetic_scores_near_train_on_real():
    train, test = small_classes(300, 0), small_classes(600, 1)
    syn = TabularGAN(random_state=0, **SMALL_NETS).fit(train).sample(len(train), random_state=1)
    u = utility(prepare(train, test, syn, target="label"), np.random.default_rng(0))
    for m in u.models:
        assert m.tstr["accuracy"] >= 0.9 * m.trtr["accuracy"], (m.family, m.tstr["accuracy"], m.trtr["accuracy"])
    # Each class keeps its numeric profile: its synthetic centre is nearest its own real centre (the
    # real centres are 2 to 3.2 apart) and within 0.6 of it (measured up to 0.5 over two seeds).
    centres = train.groupby("label")[["x", "y"]].mean()
    for cls, s in syn.groupby("label"):
        dist = np.hypot(*(centres - s[["x", "y"]].mean()).to_numpy().T)
        assert centres.index[dist.argmin()] == cls and dist.min() < 0.6, (cls, dict(zip(centres.index, dist)))
