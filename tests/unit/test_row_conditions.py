"""Conditions per row: groups with their own values and numeric ranges, and known cells kept
(imputation); every row meets its condition by construction."""

import numpy as np
import pandas as pd
import pytest

from synthgan import Condition, TabularGAN
from synthgan.errors import ConditionError

FAST = dict(epochs=3, min_steps=2000, batch_size=100, generator_dim=(64, 64), discriminator_dim=(64, 64),
            noise_dim=32, random_state=0, numeric_bins=10)


def make_table(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])
    # "c" is never seen with h = "q": a combination no condition may ask for
    h = np.where(g == "c", "p", rng.choice(["p", "q"], n))
    x = np.where(g == "a", rng.normal(10, 2, n), np.where(g == "b", rng.normal(30, 3, n), rng.normal(50, 2, n)))
    k = np.where(rng.random(n) < 0.3, 0, rng.integers(1, 100, n))          # integer with a point mass at 0
    w = rng.gamma(2.0, 10.0, n)
    w[rng.random(n) < 0.1] = np.nan                                         # numeric with nulls
    d = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    return pd.DataFrame({"g": g, "h": h, "x": x, "k": k.astype(np.int64), "w": w, "d": d})


@pytest.fixture(scope="module")
def fitted():
    df = make_table()
    return df, TabularGAN(**FAST).fit(df, discrete_columns=["g", "h"])


def meets(rows: pd.DataFrame, values: dict) -> bool:
    for col, v in values.items():
        s = rows[col]
        if isinstance(v, tuple):
            lo, hi = v
            if s.isna().any():
                return False
            if lo is not None and (s < lo).any():
                return False
            if hi is not None and (s > hi).any():
                return False
        elif not (s == v).all():
            return False
    return True


def random_condition(df: pd.DataFrame, rng: np.random.Generator) -> dict:
    """A condition on 1-3 columns taken from one real row, so that it is possible."""
    row = df.iloc[int(rng.integers(len(df)))]
    values = {}
    for col in rng.choice(["g", "x", "k", "w", "d"], size=int(rng.integers(1, 4)), replace=False):
        v = row[col]
        if col == "g":
            values[col] = v
        elif col == "d":
            span = pd.Timedelta(days=int(rng.integers(0, 40)))
            values[col] = (v - span, v + span) if rng.random() < 0.7 else (None, v + span)
        elif col == "w" and pd.isna(v):
            continue
        else:
            width = float(rng.uniform(0, 10))
            lo, hi = float(v) - width, float(v) + width
            if col == "k":
                lo, hi = int(np.floor(lo)), int(np.ceil(hi))
            values[col] = (lo, hi) if rng.random() < 0.6 else ((lo, None) if rng.random() < 0.5 else (None, hi))
    return values


def test_every_row_meets_its_own_random_condition(fitted):
    df, gan = fitted
    rng = np.random.default_rng(1)
    wanted = [random_condition(df, rng) for _ in range(25)]
    sizes = rng.integers(0, 120, len(wanted))
    out = gan.sample_conditions([Condition(int(n), v) for n, v in zip(sizes, wanted)], random_state=3)
    assert len(out) == sizes.sum() and list(out.columns) == list(df.columns)
    assert out.dtypes.astype(str).tolist() == df.dtypes.astype(str).tolist()
    start = 0
    for n, v in zip(sizes, wanted):                     # groups come back in order
        assert meets(out.iloc[start:start + n], v), v
        start += n


def test_range_edges_are_exact_and_open_ends_work(fitted):
    df, gan = fitted
    out = gan.sample_conditions([Condition(300, {"k": (40, 40)}), Condition(300, {"k": (0, 0)}),
                                 Condition(300, {"x": (None, 12.5)}), Condition(300, {"x": (45.0, None)})],
                                random_state=0)
    assert (out["k"].iloc[:300] == 40).all() and (out["k"].iloc[300:600] == 0).all()
    assert out["x"].iloc[600:900].max() <= 12.5 and out["x"].iloc[900:].min() >= 45.0
    # inside a range the values spread as the real ones do, not piled at an edge
    real = df["x"][df["x"] <= 12.5]
    syn = out["x"].iloc[600:900]
    assert abs(syn.median() - real.median()) < 0.5 * real.std()
    assert (syn == 12.5).mean() < 0.05


def test_a_numeric_range_moves_the_other_columns_toward_its_real_group(fitted):
    df, gan = fitted
    out = gan.sample(600, conditions={"x": (45.0, 60.0)}, random_state=2)
    assert len(out) == 600 and out["x"].between(45.0, 60.0).all()
    # real: every row with x in [45, 60] is g = "c" (10 % of all rows)
    assert (out["g"] == "c").mean() > 0.6


def test_known_cells_are_kept_and_the_rest_generated(fitted):
    df, gan = fitted
    rng = np.random.default_rng(4)
    known = df.sample(700, random_state=1)[["g", "x", "k", "d"]].copy()
    for col in known.columns:
        known.loc[rng.random(len(known)) < 0.4, col] = None
    out = gan.sample_remaining(known, random_state=5)
    assert list(out.index) == list(known.index) and list(out.columns) == list(df.columns)
    for col in known.columns:
        given = known[col].notna()
        assert (out.loc[given, col].to_numpy() == known.loc[given, col].to_numpy()).all(), col
        assert out.loc[~given, col].notna().all(), col      # generated where unknown (no nulls in these)
    # the generated cells follow the known ones: x known to be ~50 comes with g = "c"
    high = known["x"].notna() & (known["x"] > 45) & known["g"].isna()
    assert high.sum() > 10 and (out.loc[high, "g"] == "c").mean() > 0.6


def test_conditions_are_seeded_and_survive_save_and_load(fitted, tmp_path):
    _, gan = fitted
    conds = [Condition(50, {"g": "b", "k": (10, 60)}), Condition(20, {"w": (5.0, 15.0)})]
    a = gan.sample_conditions(conds, random_state=7)
    pd.testing.assert_frame_equal(a, gan.sample_conditions(conds, random_state=7))
    gan.save(tmp_path / "m")
    pd.testing.assert_frame_equal(a, TabularGAN.load(tmp_path / "m").sample_conditions(conds, random_state=7))


@pytest.mark.parametrize("values, words", [
    ({"g": "c", "h": "q"}, "never seen"),
    ({"x": (500.0, 600.0)}, "no real value of 'x'"),
    ({"g": ("a", "b")}, "range"),
    ({"nope": 1}, "not a column"),
    ({"g": "zzz"}, "unknown value 'zzz'"),
    ({"x": (20.0, 10.0)}, "empty"),
    ({"x": ("ten", None)}, "expected numbers"),
])
def test_impossible_or_malformed_conditions_are_clear_errors(fitted, values, words):
    _, gan = fitted
    with pytest.raises(ConditionError, match=words):
        gan.sample_conditions([Condition(10, {"g": "a"}), Condition(10, values)])


def test_malformed_known_frames_are_clear_errors(fitted):
    _, gan = fitted
    with pytest.raises(ConditionError, match="'nope'"):
        gan.sample_remaining(pd.DataFrame({"nope": [1]}))
    with pytest.raises(ConditionError, match="unknown value 'zzz'"):
        gan.sample_remaining(pd.DataFrame({"g": ["a", "zzz"]}))
    with pytest.raises(ConditionError, match="Condition.rows"):
        Condition(-1, {})


def test_a_model_without_bins_says_so():
    df = make_table(400)
    gan = TabularGAN(**{**FAST, "min_steps": 20, "numeric_bins": 0}).fit(df, discrete_columns=["g", "h"])
    assert (gan.sample(20, conditions={"g": "b"}, random_state=0)["g"] == "b").all()
    with pytest.raises(ConditionError, match="numeric_bins=0"):
        gan.sample(10, conditions={"x": (0.0, 20.0)})
