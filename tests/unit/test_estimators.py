"""The synthesizers follow scikit-learn's estimator rules (scikit-learn's own checks where they
apply to a generative model), share one sampling verb, and load model folders saved by the
release before the house was rebuilt, sampling the same rows from them."""

from __future__ import annotations

import inspect
import warnings
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn.exceptions
from sklearn.base import clone
from sklearn.utils import estimator_checks as sk

from synthgan import ImageGAN, TabularGAN, TimeSeriesGAN
from synthgan.errors import ConfigError, NotFittedError
from synthgan.transform.table import TableTransformer

MODELS = [TabularGAN, TimeSeriesGAN, ImageGAN]
SAVED = Path(__file__).resolve().parents[1] / "data" / "models_0.1.0"

SKLEARN_CHECKS = [sk.check_no_attributes_set_in_init, sk.check_parameters_default_constructible,
                  sk.check_get_params_invariance, sk.check_set_params, sk.check_estimator_cloneable,
                  sk.check_estimator_repr, sk.check_do_not_raise_errors_in_init_or_set_params,
                  sk.check_estimator_tags_renamed, sk.check_valid_tag_types]


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("check", SKLEARN_CHECKS, ids=lambda c: c.__name__)
def test_scikit_learns_estimator_checks_that_apply(cls, check):
    check(cls.__name__, cls())


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_every_setting_is_a_keyword_argument_stored_unchanged(cls):
    sig = inspect.signature(cls.__init__)
    params = [p for name, p in sig.parameters.items() if name != "self"]
    assert params and all(p.kind is p.KEYWORD_ONLY and p.default is not p.empty for p in params)
    assert {p.name for p in params} == set(cls().get_params())
    odd = {"epochs": -1, "device": "tpu", "random_state": "x"}          # stored as given, checked by fit
    model = cls(**odd)
    assert all(getattr(model, k) == v for k, v in odd.items())
    with pytest.raises(ConfigError, match="device: unknown device .tpu."):              # the first wrong one, by name
        model.validate_params()


def test_clone_repr_and_set_params():
    gan = TabularGAN(epochs=7, generator_dim=[64, 64], constraints=[{"type": "non_negative", "column": "a"}])
    assert gan.generator_dim == [64, 64]                                 # not rewritten as it is stored
    twin = clone(gan)
    assert twin is not gan and twin.get_params() == gan.get_params()
    assert repr(TabularGAN()) == "TabularGAN()"
    assert repr(TimeSeriesGAN(epochs=3, series_scale="global")) == "TimeSeriesGAN(epochs=3, series_scale='global')"
    assert gan.set_params(epochs=9) is gan and gan.epochs == 9
    with pytest.raises(ValueError, match="Invalid parameter 'epoch'"):
        gan.set_params(epoch=1)
    s = gan.validate_params()                                            # the normalised copy fit trains with
    assert s.generator_dim == (64, 64) and s.constraints == [{"type": "range", "column": "a", "low": 0.0, "high": None}]


def test_fit_keeps_the_settings_and_learns_state_ending_in_underscore():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=60), "b": rng.choice(["x", "y"], 60)})
    gan = TabularGAN(epochs=1, min_steps=2, generator_dim=[16], discriminator_dim=[16], random_state=0)
    before = gan.get_params()
    gan.fit(df)
    assert gan.get_params() == before and gan.generator_dim == [16]
    assert gan.settings_.generator_dim == (16,) and sklearn.utils.validation.check_is_fitted(gan) is None
    refit = clone(gan).fit(df)                                          # same seed, same rows
    pd.testing.assert_frame_equal(refit.sample(20, random_state=1), gan.sample(20, random_state=1))


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_one_sampling_verb_and_scikit_learns_not_fitted_error(cls):
    sig = inspect.signature(cls.sample)
    assert list(sig.parameters)[1:4] == ["n", "conditions", "random_state"]
    with pytest.raises(sklearn.exceptions.NotFittedError, match=f"this {cls.__name__} is not fitted"):
        cls().sample(3)
    assert issubclass(NotFittedError, sklearn.exceptions.NotFittedError)


def test_transformer_settings_have_the_transformers_defaults():
    """The transform's seven settings are TabularGAN keywords with the transform's own defaults
    (fit passes them by name: a setting added to one and not the other fails here)."""
    sig = inspect.signature(TabularGAN.__init__).parameters
    for f in fields(TableTransformer):
        if f.init:
            assert f.name in sig and sig[f.name].default == f.default, f.name


def _same(got: pd.DataFrame, name: str) -> None:
    pd.testing.assert_frame_equal(got, pd.read_parquet(SAVED / "expected" / f"{name}.parquet"))


def test_model_folders_saved_by_release_0_1_0_load_and_sample_the_same_rows():
    """tests/data/models_0.1.0: tiny models saved before the synthesizers were rebuilt on the
    shared base, and the rows that release sampled from them (see the README there)."""
    tab = TabularGAN.load(SAVED / "tabular", device="cpu")
    _same(tab.sample(50, random_state=3), "tabular-free")
    _same(tab.sample(20, conditions={"income": ">50K"}, random_state=4), "tabular-cond")
    binned = TabularGAN.load(SAVED / "tabular_bins", device="cpu")
    _same(binned.sample(20, conditions={"age": (30, 40)}, random_state=5), "tabular_bins-range")
    series = TimeSeriesGAN.load(SAVED / "series", device="cpu")
    _same(series.sample(5, random_state=3), "series-free")
    _same(series.sample(3, conditions={"speed": "fast"}, random_state=4), "series-cond")
    images = ImageGAN.load(SAVED / "image", device="cpu")
    _same(images.sample(4, conditions={"label": 3}, random_state=3), "image-cond")
    with warnings.catch_warnings(record=True) as caught:                 # the old verb: same series, a warning
        warnings.simplefilter("always")
        old = series.sample(n_series=5, random_state=3)
    _same(old, "series-free")
    assert any(issubclass(w.category, FutureWarning) and "n_series" in str(w.message) for w in caught)
