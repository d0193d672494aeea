"""Differentially private training (Opacus DP-SGD on the critic): the budget holds, the noise is
really applied, impossible budgets fail before training, a seed still decides everything."""

import numpy as np
import pandas as pd
import pytest
import torch

from synthgan import TabularGAN
from synthgan.errors import ConfigError
from synthgan.train.private import PrivacySpec, noise_for, spent

SMALL = dict(epochs=1, min_steps=12, batch_size=100, generator_dim=(32, 32), discriminator_dim=(32, 32),
             noise_dim=16, random_state=0)


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    n = 1200
    group = rng.choice(["a", "b", "c"], size=n, p=[0.6, 0.3, 0.1])
    return pd.DataFrame({"group": group, "x": np.where(group == "a", rng.normal(-3, 1, n), rng.normal(3, 1, n)),
                         "flag": rng.random(n) < 0.3})


@pytest.fixture(scope="module")
def private(table):
    return TabularGAN(**SMALL, privacy={"epsilon": 2.0, "delta": 1e-4}).fit(table)


def test_the_accountant_stays_within_the_budget_and_the_model_folder_records_it(private, tmp_path):
    dp = private.privacy_spent_
    assert 0 < dp["epsilon"] <= 2.0 and dp["delta"] == 1e-4 and dp["accountant"] == "rdp"
    assert dp["steps"] == 12 and dp["noise_multiplier"] > 0.3 and dp["max_grad_norm"] == 1.0
    assert dp["sample_rate"] == pytest.approx(100 / 1200) and private.pac_ == 1
    assert private.condition_rows_ is None                   # no real row's values kept for sampling
    # the accountant, asked again, agrees; and more steps at the same noise would pass the budget
    assert spent(PrivacySpec(2.0, 1e-4), dp["noise_multiplier"], dp["sample_rate"], 12) == pytest.approx(dp["epsilon"])
    assert spent(PrivacySpec(2.0, 1e-4), dp["noise_multiplier"], dp["sample_rate"], 48) > 2.0
    private.save(tmp_path / "m")
    loaded = TabularGAN.load(tmp_path / "m")
    assert loaded.privacy_spent_ == dp and loaded.settings_.privacy["epsilon"] == 2.0


def test_the_noise_is_applied_and_a_seed_decides_everything(table, private):
    again = TabularGAN(**SMALL, privacy={"epsilon": 2.0, "delta": 1e-4}).fit(table)
    a, b = private.sample(300, random_state=1), again.sample(300, random_state=1)
    pd.testing.assert_frame_equal(a, b)                      # determinism under a seed
    loose = TabularGAN(**SMALL, privacy={"epsilon": 500.0, "delta": 1e-4}).fit(table)
    assert loose.privacy_spent_["noise_multiplier"] < private.privacy_spent_["noise_multiplier"] / 3
    w_tight = torch.cat([p.flatten() for p in private.generator_.parameters()])
    w_loose = torch.cat([p.flatten() for p in loose.generator_.parameters()])
    assert not torch.allclose(w_tight, w_loose)              # only the noise differs between the two fits
    plain = TabularGAN(**SMALL).fit(table)
    assert plain.privacy_spent_ is None and not a.equals(plain.sample(300, random_state=1))


def test_impossible_budgets_are_clear_errors_before_training(table):
    gan = TabularGAN(**SMALL, privacy={"epsilon": 1e-4, "delta": 1e-5})
    with pytest.raises(ConfigError, match=r"privacy: epsilon = 0.0001, delta = 1e-05 cannot be met by 12 critic steps"):
        gan.fit(table)
    assert not hasattr(gan, "transformer_")                  # refused before any work
    with pytest.raises(ConfigError, match=r"privacy.delta: 0.01 is not below 1 / rows"):
        TabularGAN(**SMALL, privacy={"epsilon": 1.0, "delta": 0.01}).fit(table)
    with pytest.raises(ConfigError, match=r"even noise 50 times the clipping norm spends epsilon"):
        noise_for(PrivacySpec(1e-9, 1e-6), 10_000, 0.5, 10_000)


@pytest.mark.parametrize("spec, message", [
    ({"epsilon": 3.0}, r"privacy.delta: required"),
    ({"epsilon": -1, "delta": 1e-5}, r"privacy.epsilon: expected a positive number"),
    ({"epsilon": 3.0, "delta": 1.5}, r"privacy.delta: expected a number below 1"),
    ({"epsilon": 3.0, "delta": 1e-5, "accountant": "gdp2"}, r"privacy.accountant: expected one of \['rdp', 'prv'\]"),
    ({"epsilon": 3.0, "delta": 1e-5, "sigma": 1}, r"privacy: unknown key\(s\) \['sigma'\]"),
    ("3", r"privacy: expected a mapping"),
])
def test_malformed_budgets_name_the_key(spec, message):
    with pytest.raises(ConfigError, match=message):
        TabularGAN(privacy=spec).validate_params()                        # as fit checks them


@pytest.mark.parametrize("accountant", ["rdp", "prv"])
def test_calibration_spends_the_budget_with_either_accountant(accountant):
    spec = PrivacySpec(3.0, 1e-5, accountant=accountant)
    sigma = noise_for(spec, 10_000, 0.05, 200)
    assert 0.3 < sigma < 50 and 2.9 <= spent(spec, sigma, 0.05, 200) <= 3.0 < spent(spec, sigma * 0.9, 0.05, 200)


# ----------------------------------------------------------------------------- time series
SERIES = dict(epochs=1, min_steps=20, static_min_steps=20, static_epochs=1, batch_size=25, hidden=16,
              critic_channels=16, step_noise=4, global_noise=4, random_state=0, device="cpu")
SERIES_BUDGET = {"epsilon": 5.0, "delta": 1e-4}


@pytest.fixture(scope="module")
def sines():
    from synthgan.datasets import labelled_sines
    return labelled_sines(250, steps=12, seed=0)


def _fit_series(data, **kw):
    from synthgan.synthesizers.timeseries import TimeSeriesGAN
    return TimeSeriesGAN(**{**SERIES, **kw}).fit(data, "machine", "step", static=["speed", "site"])


@pytest.fixture(scope="module")
def private_series(sines):
    return _fit_series(sines, privacy=SERIES_BUDGET)


def test_a_series_model_spends_one_budget_over_every_network_that_reads_series(private_series, tmp_path):
    from synthgan.files import read_json
    from synthgan.synthesizers.timeseries import TimeSeriesGAN
    dp, spec = private_series.privacy_spent_, PrivacySpec(5.0, 1e-4)
    static = dp["static"]
    # the static attributes spend their share alone and the feature critic the rest: both,
    # composed, within the budget
    assert 0 < static["epsilon"] <= 5.0 * 0.25 < dp["epsilon"] <= 5.0 and dp["target_epsilon"] == 5.0
    assert static == private_series.static_gan_.privacy_spent_ and static["steps"] > 0
    assert dp["steps"] == 2 * 10 and dp["sample_rate"] == pytest.approx(25 / 250)
    history = [(part["noise_multiplier"], part["sample_rate"], part["steps"]) for part in (static, dp)]
    assert spent(spec, history) == pytest.approx(dp["epsilon"])        # the accountant, asked again, agrees
    assert spent(spec, history[1:]) < dp["epsilon"]
    assert spent(spec, [history[0], (dp["noise_multiplier"], dp["sample_rate"], 4 * dp["steps"])]) > 5.0
    fast = private_series.sample(30, conditions={"speed": "fast"}, random_state=1)
    assert set(fast["speed"]) == {"fast"} and fast["machine"].nunique() == 30      # conditions stay exact
    private_series.save(tmp_path / "m")
    assert TimeSeriesGAN.load(tmp_path / "m").privacy_spent_ == dp
    assert read_json(tmp_path / "m" / "manifest.json")["privacy"] == dp


def _static_rows(data) -> pd.DataFrame:
    return data.groupby("machine")[["speed", "site"]].first().reset_index(drop=True)


def test_the_static_count_table_noises_every_cell_and_spends_its_budget(sines, tmp_path):
    """An all-discrete static table under DP is counted: one Gaussian-mechanism step of sensitivity
    one, every cell of the cross product noised (an empty one too), the accountant's epsilon within
    the target; little noise keeps the real joint, conditions hold exactly, save and load keep it."""
    from synthgan.errors import ConditionError
    from synthgan.synthesizers.timeseries.histogram import DiscreteHistogram
    from synthgan.synthesizers.timeseries import TimeSeriesGAN
    from synthgan.synthesizers.timeseries.static import static_schema
    rows = _static_rows(sines)
    rows = rows[~((rows["speed"] == "fast") & (rows["site"] == "north"))].reset_index(drop=True)
    schema = static_schema(rows)
    exact = DiscreteHistogram({"epsilon": 100.0, "delta": 1e-4}, 0).fit(rows, schema)
    noisy = [DiscreteHistogram({"epsilon": 1.0, "delta": 1e-4}, seed).fit(rows, schema) for seed in range(10)]
    assert exact.shape_ == (2, 3) and exact.probabilities_.size == 6      # the empty (fast, north) cell too
    codes = exact.transformer_.transform(rows, np.random.default_rng(0)).codes
    real = np.bincount(np.ravel_multi_index(codes.T, exact.shape_), minlength=6) / len(rows)
    tv = [0.5 * np.abs(h.probabilities_ - real).sum() for h in [exact, *noisy]]
    assert tv[0] < 0.002 and 0.01 < np.mean(tv[1:]) < 0.1, tv          # noise 0.05 against 3.5 per count
    assert any(h.probabilities_.reshape(h.shape_)[exact.transformer_.discrete_["speed"].code_of("fast"),
                                                  exact.transformer_.discrete_["site"].code_of("north")] > 0
               for h in noisy)                   # the empty cell is noised as any other (1/1024 to fail)
    dp = noisy[0].privacy_spent_
    assert dp["epsilon"] <= 1.0 and dp["steps"] == 1 and dp["sample_rate"] == 1.0 and dp["cells"] == 6
    assert spent(PrivacySpec(1.0, 1e-4), dp["noise_multiplier"], 1.0, 1) == pytest.approx(dp["epsilon"])
    fast = noisy[0].sample(300, conditions={"speed": "fast"}, random_state=2)
    assert set(fast["speed"]) == {"fast"} and len(fast) == 300
    with pytest.raises(ConditionError, match="unknown value 'medium' for column 'speed'"):
        noisy[0].sample(5, conditions={"speed": "medium"})
    noisy[0].save(tmp_path / "h")
    pd.testing.assert_frame_equal(DiscreteHistogram.load(tmp_path / "h").sample(100, random_state=3),
                                  noisy[0].sample(100, random_state=3))


def test_the_static_model_under_dp_is_the_count_table_only_where_its_noise_is_small(sines):
    """``static_histogram="auto"``: six cells on 250 series are counted; 78 cells (lengths 12-24
    crossed with the label and site) on 250 series would be mostly noise, so a DP TabularGAN learns
    them; "never" always trains the GAN; "always" refuses a continuous attribute, naming it."""
    from synthgan.datasets import labelled_sines
    from synthgan.synthesizers.timeseries.histogram import DiscreteHistogram
    from synthgan.synthesizers.timeseries import LENGTH, TimeSeriesGAN
    from synthgan.synthesizers.timeseries.static import static_model, static_schema, static_table
    spec = PrivacySpec(5.0, 1e-4)
    six = _static_rows(sines)
    varied = labelled_sines(250, steps=24, seed=0)
    lengths = varied.groupby("machine").size().to_numpy()
    many = static_table(_static_rows(varied), lengths)

    def settings(**kw):
        return TimeSeriesGAN(**kw).validate_params()
    assert LENGTH in many and DiscreteHistogram.cells(many, static_schema(many)) == 78
    assert isinstance(static_model(settings(privacy=spec.to_dict()), six, spec, 0), DiscreteHistogram)
    assert isinstance(static_model(settings(privacy=spec.to_dict()), many, spec, 0), TabularGAN)
    assert isinstance(static_model(settings(privacy=spec.to_dict(), static_histogram="always"), many, spec, 0),
                      DiscreteHistogram)
    assert isinstance(static_model(settings(privacy=spec.to_dict(), static_histogram="never"), six, spec, 0),
                      TabularGAN)
    assert isinstance(static_model(settings(), six, None, 0), TabularGAN)          # without DP, as ever
    with pytest.raises(ConfigError, match=r"static_histogram: 'always' needs discrete static attributes only; \['size'\]"):
        static_model(settings(privacy=spec.to_dict(), static_histogram="always"),
                     six.assign(size=np.linspace(0, 1, len(six))), spec, 0)
    with pytest.raises(ConfigError, match="static_histogram: expected one of auto, always, never"):
        TimeSeriesGAN(static_histogram="sometimes").validate_params()


def test_series_noise_is_applied_and_a_seed_decides_everything(sines, private_series):
    again = _fit_series(sines, privacy=SERIES_BUDGET)
    pd.testing.assert_frame_equal(private_series.sample(50, random_state=3), again.sample(50, random_state=3))
    loose = _fit_series(sines, privacy={"epsilon": 500.0, "delta": 1e-4})
    assert loose.privacy_spent_["noise_multiplier"] < private_series.privacy_spent_["noise_multiplier"] / 3
    w = [torch.cat([p.flatten() for p in g.generator_.parameters()]) for g in (private_series, loose)]
    assert not torch.allclose(*w)


def test_impossible_series_budgets_are_clear_errors_before_training(sines):
    from synthgan.synthesizers.timeseries import TimeSeriesGAN
    few = sines[sines["machine"] < 30]           # 30 series: every batch holds most of them, little amplification
    gan = TimeSeriesGAN(**SERIES, privacy={"epsilon": 0.5, "delta": 1e-3})
    with pytest.raises(ConfigError, match=r"cannot be met by .* critic steps at sample rate 0.8333: .*static attributes' model, on "
                                         r"static_privacy_share 0.25 of epsilon 0.5"):
        gan.fit(few, "machine", "step", static=["speed", "site"])
    assert not hasattr(gan, "static_gan_")       # refused before any training
    # the static share alone can be met, the feature critic after it cannot
    with pytest.raises(ConfigError, match=r"after the \d+ steps spent before them"):
        _fit_series(sines, privacy={"epsilon": 0.1, "delta": 1e-4}, static_privacy_share=0.7,
                    static_min_steps=1, min_steps=2000)
    with pytest.raises(ConfigError, match=r"static_privacy_share: expected a number between 0 and 1"):
        TimeSeriesGAN(privacy=SERIES_BUDGET, static_privacy_share=1.0).validate_params()
    with pytest.raises(ConfigError, match=r"privacy.delta: required"):
        TimeSeriesGAN(privacy={"epsilon": 1.0}).validate_params()
