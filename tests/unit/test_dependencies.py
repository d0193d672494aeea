"""Columns determined by another column are derived, not learned."""

import numpy as np
import pandas as pd
import pytest

from synthgan import TabularGAN, infer_schema
from synthgan.errors import ConditionError
from synthgan.transform.dependencies import find_dependencies


def _coded(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    level = rng.choice(["low", "mid", "high"], n, p=[0.5, 0.3, 0.2])
    region = rng.choice(["n1", "n2", "s1", "s2"], n)
    return pd.DataFrame({
        "level": pd.Series(level, dtype="str"),
        "level_code": pd.Series(level).map({"low": 1, "mid": 2, "high": 3}).astype("int64"),
        "region": pd.Series(region, dtype="str"),
        "zone": pd.Series([r[0] for r in region], dtype="str"),       # many-to-one: n1, n2 -> n
        "value": rng.normal(pd.Series(level).map({"low": 0, "mid": 5, "high": 10}), 1.0),
    })


def test_finds_one_to_one_and_many_to_one_pairings():
    df = _coded()
    deps = {(d.source, d.target): d for d in find_dependencies(df, infer_schema(df))}
    assert set(deps) == {("level", "level_code"), ("region", "zone")}
    assert deps[("level", "level_code")].one_to_one and not deps[("region", "zone")].one_to_one


def test_adult_education_num_follows_education(adult):
    deps = find_dependencies(adult, infer_schema(adult))
    assert [(d.source, d.target, len(d.pairs)) for d in deps] == [("education", "education-num", 16)]


def test_sampled_rows_keep_every_pairing_and_conditions_go_through_the_source(tmp_path):
    df = _coded()
    gan = TabularGAN(epochs=2, min_steps=0, random_state=0).fit(df)
    out = gan.sample(500, random_state=1)
    assert list(out.columns) == list(df.columns) and out["level_code"].dtype == np.int64
    assert set(map(tuple, out[["level", "level_code"]].drop_duplicates().to_numpy())) <= \
        set(map(tuple, df[["level", "level_code"]].drop_duplicates().to_numpy()))
    assert (out["zone"] == out["region"].str[0]).all()
    cond = gan.sample(50, conditions={"level_code": 3}, random_state=2)
    assert (cond["level"] == "high").all() and (cond["level_code"] == 3).all()
    with pytest.raises(ConditionError, match="'zone' is derived from 'region'; condition on 'region' instead"):
        gan.sample(5, conditions={"zone": "n"})
    with pytest.raises(ConditionError, match="contradict"):
        gan.sample(5, conditions={"level": "low", "level_code": 3})
    gan.save(tmp_path / "m")
    again = TabularGAN.load(tmp_path / "m")
    assert again.sample(40, random_state=3).equals(gan.sample(40, random_state=3))


def test_dependencies_can_be_learned_instead():
    df = _coded()
    gan = TabularGAN(epochs=1, min_steps=0, random_state=0, derive_dependencies=False).fit(df)
    assert gan.dependencies_ == [] and "level_code" in gan.transformer_.schema_.names
