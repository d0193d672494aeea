"""Tiny seeded fits of TabularGAN on CPU: the public contract."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from synthgan import TabularGAN
from synthgan.errors import ConditionError, ConfigError, DataError, ModelFileError, NotFittedError
from tests.conftest import reseal

FAST = dict(epochs=3, min_steps=0, batch_size=100, generator_dim=(64, 64), discriminator_dim=(64, 64), noise_dim=32)


@pytest.fixture(scope="module")
def fitted():
    from tests.conftest import make_mixed
    df = make_mixed(600)
    return df, TabularGAN(random_state=0, **FAST).fit(df)


def test_sample_has_real_columns_dtypes_and_null_rates(fitted):
    df, gan = fitted
    s = gan.sample(1000, random_state=1)
    assert len(s) == 1000 and list(s.columns) == list(df.columns)
    assert s.dtypes.astype(str).tolist() == df.dtypes.astype(str).tolist()
    assert set(s["group"].dropna()) <= set(df["group"]) and s["row_id"].is_unique
    assert s["score"].isna().any() and s["color"].isna().any()  # nulls are generated, not dropped
    assert s["count"].between(df["count"].min(), df["count"].max()).all()


def test_conditions_are_exact_single_and_joint(fitted):
    df, gan = fitted
    s = gan.sample(500, conditions={"group": "c"}, random_state=2)
    assert len(s) == 500 and (s["group"] == "c").all()
    s2 = gan.sample(300, conditions={"group": "c", "flag": True}, random_state=3)
    assert len(s2) == 300 and (s2["group"] == "c").all() and s2["flag"].all()


def test_unknown_condition_lists_valid_choices(fitted):
    _, gan = fitted
    with pytest.raises(ConditionError, match=r"unknown value 'zzz' for column 'group'; valid values are: 'a', 'b', 'c'"):
        gan.sample(5, conditions={"group": "zzz"})
    with pytest.raises(ConditionError, match=r"cannot condition on 'nope'.*discrete columns \['group'"):
        gan.sample(5, conditions={"nope": 1})
    with pytest.raises(ConditionError, match="cannot condition on 'row_id': it is id"):
        gan.sample(5, conditions={"row_id": 1000})
    # a numeric column takes a value or a range only through value bins, off by default
    with pytest.raises(ConditionError, match="'bimodal'.*fit it with numeric_bins=10"):
        gan.sample(5, conditions={"bimodal": (0.0, 1.0)})


def test_same_seed_same_output_and_global_rngs_untouched(mixed):
    np_state, torch_state = np.random.get_state()[1].copy(), torch.random.get_rng_state().clone()
    a = TabularGAN(random_state=7, **FAST).fit(mixed).sample(200, random_state=1)
    b = TabularGAN(random_state=7, **FAST).fit(mixed).sample(200, random_state=1)
    pd.testing.assert_frame_equal(a, b)
    assert (np.random.get_state()[1] == np_state).all()
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    c = TabularGAN(random_state=8, **FAST).fit(mixed).sample(200, random_state=1)
    assert not a.equals(c)


def test_save_load_samples_identically_and_writes_losses(fitted, tmp_path):
    _, gan = fitted
    gan.save(tmp_path / "m")
    files = {p.name for p in (tmp_path / "m").iterdir()}
    assert {"generator.safetensors", "config.json", "transformer.json", "schema.json", "manifest.json",
            "losses.jsonl"} <= files
    assert not any(p.suffix in (".pkl", ".pickle", ".pt") for p in (tmp_path / "m").iterdir())
    losses = [json.loads(line) for line in (tmp_path / "m" / "losses.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in losses] == [1, 2, 3] and all("loss_d" in r for r in losses)
    loaded = TabularGAN.load(tmp_path / "m", device="cpu")
    pd.testing.assert_frame_equal(loaded.sample(300, random_state=5), gan.sample(300, random_state=5))
    pd.testing.assert_frame_equal(loaded.sample(50, conditions={"group": "b"}, random_state=6),
                                  gan.sample(50, conditions={"group": "b"}, random_state=6))


def test_condition_rows_are_saved_checked_on_load_and_can_be_turned_off(fitted, tmp_path, mixed):
    _, gan = fitted
    gan.save(tmp_path / "m")
    assert (tmp_path / "m" / "conditions.safetensors").exists()
    assert gan.condition_rows_.shape == (600, 3)                        # group, flag, color of every row
    from safetensors.torch import save_file
    save_file({"codes": torch.full((5, 3), 99, dtype=torch.int32)}, str(tmp_path / "m" / "conditions.safetensors"))
    with pytest.raises(ModelFileError, match="conditions.safetensors: SHA-256 differs from manifest.json"):
        TabularGAN.load(tmp_path / "m")
    reseal(tmp_path / "m")                                   # as if someone rewrote the digests too
    with pytest.raises(ModelFileError, match="conditions.safetensors: holds codes outside the levels"):
        TabularGAN.load(tmp_path / "m")
    off = TabularGAN(random_state=0, max_condition_rows=0, **FAST).fit(mixed)
    assert off.condition_rows_ is None and len(off.sample(50, random_state=1)) == 50
    off.save(tmp_path / "off")
    assert not (tmp_path / "off" / "conditions.safetensors").exists()


def test_load_errors_name_the_file(tmp_path, fitted):
    with pytest.raises(ModelFileError, match="not a model folder"):
        TabularGAN.load(tmp_path / "absent")
    _, gan = fitted
    gan.save(tmp_path / "m")
    (tmp_path / "m" / "config.json").write_text("{broken")
    with pytest.raises(ModelFileError, match="config.json: SHA-256 differs from manifest.json"):
        TabularGAN.load(tmp_path / "m")
    reseal(tmp_path / "m")
    with pytest.raises(ModelFileError, match="config.json: malformed JSON"):
        TabularGAN.load(tmp_path / "m")


def test_sample_before_fit_and_bad_hyperparameters():
    with pytest.raises(NotFittedError, match="not fitted"):
        TabularGAN().sample(10)
    with pytest.raises(TypeError, match="unexpected keyword argument 'epoch'"):   # the signature names every setting
        TabularGAN(epoch=3)
    with pytest.raises(ConfigError, match="epochs: expected a positive integer, got 0"):
        TabularGAN(epochs=0).fit(pd.DataFrame({"a": range(20)}))
    with pytest.raises(ConfigError, match="device"):
        TabularGAN(device="tpu").fit(pd.DataFrame({"a": range(20)}))


def test_bad_data_errors(mixed):
    with pytest.raises(DataError, match="at least 10"):
        TabularGAN(**FAST).fit(mixed.head(5))
    with pytest.raises(DataError, match=r"discrete column\(s\) \['nope'\] are not in the data"):
        TabularGAN(**FAST).fit(mixed, discrete_columns=["nope"])
    bad = mixed.assign(empty=None)
    with pytest.raises(DataError, match=r"\['empty'\] are entirely null"):
        TabularGAN(**FAST).fit(bad)
    with pytest.raises(DataError, match="expects a pandas DataFrame"):
        TabularGAN(**FAST).fit(mixed.to_numpy())


def test_small_table_adapts_batch_and_packing(mixed):
    gan = TabularGAN(epochs=2, min_steps=0, random_state=0).fit(mixed.head(15))
    assert gan.batch_size_ == 15 and gan.pac_ == 1
    assert len(gan.sample(40, random_state=0)) == 40
    gan2 = TabularGAN(epochs=1, min_steps=0, random_state=0, batch_size=500).fit(mixed.head(123))
    assert gan2.batch_size_ % gan2.pac_ == 0 and gan2.batch_size_ <= 123


def test_zero_rows_keeps_columns_and_dtypes(fitted):
    df, gan = fitted
    s = gan.sample(0)
    assert len(s) == 0 and s.dtypes.astype(str).tolist() == df.dtypes.astype(str).tolist()


def test_high_cardinality_column_stays_bounded():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"city": [f"c{i}" for i in rng.integers(0, 5000, 3000)], "x": rng.normal(size=3000)})
    gan = TabularGAN(random_state=0, max_categories=64, **FAST).fit(df, discrete_columns=["city"])
    assert gan.transformer_.layout_.dim <= 64 + 1 + 10
    s = gan.sample(500, random_state=0)
    assert set(s["city"]) <= set(df["city"])
    rare = df["city"].value_counts().index[-1]
    assert (gan.sample(20, conditions={"city": rare}, random_state=0)["city"] == rare).all()
