"""Constraints hold in every generated row by construction: inequalities between columns (numbers
and datetimes), ranges and non-negativity; a constraint the real data breaks is an error at fit."""

import numpy as np
import pandas as pd
import pytest

from synthgan import Condition, TabularGAN
from synthgan.errors import ConditionError, ConfigError, ConstraintError

FAST = dict(epochs=3, min_steps=600, batch_size=100, generator_dim=(64, 64), discriminator_dim=(64, 64),
            noise_dim=32, random_state=0, numeric_bins=10)
RULES = [{"type": "inequality", "low": "start", "high": "end"},
         {"type": "inequality", "low": "lo", "high": "hi", "strict": True},
         {"type": "non_negative", "column": "price"},
         {"type": "range", "column": "score", "low": 0, "high": 100}]


def make_table(n: int = 1200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    lo = rng.normal(0, 5, n)
    return pd.DataFrame({
        "kind": rng.choice(["x", "y"], n),
        "start": start,
        "end": start + pd.to_timedelta(rng.integers(0, 30, n), unit="D"),     # same day allowed
        "lo": lo, "hi": lo + rng.gamma(0.5, 1.0, n) + 1e-3,                     # strictly above, often close
        "price": rng.exponential(3.0, n),                                      # many values near 0
        "score": np.clip(rng.normal(90, 15, n), 0, 100).round(),                # piled against 100
    })


@pytest.fixture(scope="module")
def fitted():
    df = make_table()
    return df, TabularGAN(constraints=RULES, **FAST).fit(df, discrete_columns=["kind"])


def keeps_rules(rows: pd.DataFrame) -> bool:
    return bool((rows["end"] >= rows["start"]).all() and (rows["hi"] > rows["lo"]).all()
                and (rows["price"] >= 0).all() and rows["score"].between(0, 100).all())


def test_every_row_keeps_every_constraint_in_all_sampling_paths(fitted):
    df, gan = fitted
    free = gan.sample(3000, random_state=1)
    assert keeps_rules(free) and free.dtypes.astype(str).tolist() == df.dtypes.astype(str).tolist()
    assert (free["end"] == free["end"].dt.normalize()).all()             # whole days, as the real ends
    groups = gan.sample_conditions([Condition(400, {"kind": "y", "lo": (2.0, 6.0)}),
                                    Condition(400, {"start": (pd.Timestamp("2024-06-01"), None)})], random_state=2)
    assert keeps_rules(groups) and (groups["start"].iloc[400:] >= pd.Timestamp("2024-06-01")).all()
    known = df.sample(500, random_state=3)[["start", "lo"]].reset_index(drop=True)
    filled = gan.sample_remaining(known, random_state=4)
    assert keeps_rules(filled) and (filled["start"] == known["start"]).all() and (filled["lo"] == known["lo"]).all()
    # the gap keeps its real shape: same-day ends are common in the real data, and in the rows
    assert (free["end"] == free["start"]).mean() > 0.3 * (df["end"] == df["start"]).mean()


def test_constraints_survive_save_and_load(fitted, tmp_path):
    _, gan = fitted
    gan.save(tmp_path / "m")
    again = TabularGAN.load(tmp_path / "m")
    pd.testing.assert_frame_equal(gan.sample(200, random_state=5), again.sample(200, random_state=5))
    assert keeps_rules(again.sample(500, random_state=6))


def test_the_rebuilt_column_cannot_be_conditioned_on(fitted):
    _, gan = fitted
    with pytest.raises(ConditionError, match="'end' is rebuilt as 'start'"):
        gan.sample(10, conditions={"end": (pd.Timestamp("2024-02-01"), None)})
    with pytest.raises(ConditionError, match="known: 'hi' is rebuilt"):
        gan.sample_remaining(pd.DataFrame({"hi": [1.0]}))


def test_a_constraint_the_real_data_breaks_is_an_error_at_fit():
    df = make_table(200)
    df.loc[7, "end"] = df.loc[7, "start"] - pd.Timedelta(days=1)
    with pytest.raises(ConstraintError, match=r"start <= end: the real data breaks it in 1 row\(s\) \(first: row 7"):
        TabularGAN(constraints=RULES[:1], **FAST).fit(df)
    df = make_table(200)
    with pytest.raises(ConstraintError, match=r"price <= 1.0.*breaks it"):
        TabularGAN(constraints=[{"type": "range", "column": "price", "high": 1.0}], **FAST).fit(df)


@pytest.mark.parametrize("spec, words", [
    ({"type": "between"}, "type one of"),
    ({"type": "inequality", "low": "start"}, "missing field 'high'"),
    ({"type": "range", "column": "price"}, "give low, high or both"),
    ({"type": "range", "column": "price", "low": "zero"}, "must be numbers"),
    ({"type": "inequality", "low": "start", "high": "end", "when": 1}, "unknown field"),
])
def test_malformed_constraints_are_clear_errors(spec, words):
    with pytest.raises((ConstraintError, ConfigError), match=words):
        TabularGAN(constraints=[spec], **FAST).validate_params()          # as fit checks them


@pytest.mark.parametrize("spec, words", [
    ({"type": "inequality", "low": "start", "high": "nope"}, "'nope' is not a column"),
    ({"type": "inequality", "low": "kind", "high": "lo"}, "'kind' is categorical"),
    ({"type": "inequality", "low": "start", "high": "lo"}, "compares datetime with continuous"),
])
def test_constraints_on_the_wrong_columns_are_clear_errors(spec, words):
    with pytest.raises(ConstraintError, match=words):
        TabularGAN(constraints=[spec], **FAST).fit(make_table(200), discrete_columns=["kind"])


VALID = {("A", "X"), ("B", "X"), ("B", "Y"), ("C", "Y"), ("D", "Y")}


def make_places(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pairs = sorted(VALID)
    pick = rng.choice(len(pairs), n, p=[0.3, 0.2, 0.2, 0.2, 0.1])
    city, country = zip(*[pairs[i] for i in pick])
    return pd.DataFrame({"city": city, "country": country, "pop": rng.gamma(2.0, 5.0, n) + 10 * (pick == 2)})


@pytest.fixture(scope="module")
def places():
    df = make_places()
    rules = [{"type": "combinations", "columns": ["city", "country"]}]
    return df, TabularGAN(constraints=rules, **FAST).fit(df, discrete_columns=["city", "country"])


def pairs_of(rows: pd.DataFrame) -> set:
    return set(zip(rows["city"], rows["country"]))


def test_only_real_combinations_come_out_of_every_sampling_path(places):
    df, gan = places
    free = gan.sample(3000, random_state=1)
    assert list(free.columns) == list(df.columns) and free.dtypes.astype(str).tolist() == df.dtypes.astype(str).tolist()
    assert pairs_of(free) <= VALID and len(pairs_of(free)) == len(VALID)
    b = gan.sample(500, conditions={"city": "B"}, random_state=2)
    assert (b["city"] == "B").all() and set(b["country"]) == {"X", "Y"}
    mixed = gan.sample_conditions([Condition(200, {"country": "Y"}), Condition(200, {"city": "C", "pop": (0, 30)})],
                                  random_state=3)
    assert pairs_of(mixed) <= VALID and (mixed["country"].iloc[:200] == "Y").all()
    known = pd.DataFrame({"city": ["A", None, "B", "D"], "country": [None, "X", None, None]})
    filled = gan.sample_remaining(known, random_state=4)
    assert pairs_of(filled) <= VALID and list(filled["city"].iloc[[0, 2, 3]]) == ["A", "B", "D"]
    assert filled["country"].iloc[1] == "X" and filled["country"].iloc[0] == "X" and filled["country"].iloc[3] == "Y"


def test_an_invalid_combination_is_refused(places):
    _, gan = places
    with pytest.raises(ConditionError, match="never seen"):
        gan.sample_conditions([Condition(10, {"city": "A", "country": "Y"})])
    with pytest.raises(ConditionError, match=r"known: row 1: \{'city': 'A', 'country': 'Y'\} is not a combination"):
        gan.sample_remaining(pd.DataFrame({"city": ["B", "A"], "country": ["X", "Y"]}))
    with pytest.raises(ConstraintError, match="'pop' is continuous; expected categorical"):
        TabularGAN(constraints=[{"type": "combinations", "columns": ["city", "pop"]}], **FAST).fit(make_places(100))
