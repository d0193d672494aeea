"""Data contracts with a real Great Expectations ephemeral context."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synthgan.contracts import (apply_pii_policy, draft_suite, load_suite, save_suite, strip_pii,
                                validate_frame)
from synthgan.contracts.draft import format_regex
from synthgan.errors import ContractError

REPO_CONTRACT = "data_contracts/adult.json"


@pytest.fixture(scope="module")
def adult_small(adult):
    return adult.iloc[:3000].reset_index(drop=True)


@pytest.fixture(scope="module")
def small_suite(adult_small):
    return draft_suite(adult_small, "adult_small")


def failing(result) -> set[tuple[str, str]]:
    return {(f.expectation, ", ".join(f.columns)) for f in result.failures}


def test_real_data_passes_its_drafted_contract(adult_small, small_suite):
    r = validate_frame(adult_small, small_suite)
    assert r.success, [f.message for f in r.failures]
    assert r.statistics["evaluated_expectations"] == len(small_suite.expectations) > 60
    kinds = {e.expectation_type for e in small_suite.expectations}
    assert {"expect_column_values_to_be_between", "expect_column_values_to_be_in_set",
            "expect_column_mean_to_be_between", "expect_column_stdev_to_be_between",
            "expect_column_pair_values_to_be_in_set", "expect_table_row_count_to_be_between",
            "expect_column_values_to_be_in_type_list"} <= kinds


def test_corrupted_copy_fails_exactly_the_broken_rules(adult_small, small_suite):
    bad = adult_small.copy()
    bad.loc[:4, "age"] = -3                                   # out of range (5 rows: mean barely moves)
    bad.loc[10:14, "workclass"] = "Astronaut"                 # unknown category
    bad.loc[bad.index % 3 == 0, "sex"] = None                 # extra nulls
    bad = bad.drop(columns="hours-per-week")                  # a missing column
    r = validate_frame(bad, small_suite)
    hours = {(t, "hours-per-week") for t in (
        "expect_column_to_exist", "expect_column_values_to_be_in_type_list", "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_between", "expect_column_mean_to_be_between", "expect_column_stdev_to_be_between")}
    expected = {("expect_column_values_to_be_between", "age"), ("expect_column_values_to_be_in_set", "workclass"),
                ("expect_column_values_to_not_be_null", "sex"), ("expect_table_columns_to_match_set", "")} | hours
    assert failing(r) == expected
    age = next(f for f in r.failures if f.columns == ["age"])
    assert age.unexpected_count == 5 and [-3, 5] in [list(v) for v in age.observed["unexpected_values"]]
    missing = next(f for f in r.failures if f.expectation == "expect_column_to_exist")
    assert missing.observed == "column absent: hours-per-week"


def test_rules_only_leaves_out_distribution_expectations(adult_small, small_suite):
    rich = adult_small[adult_small["income"] == ">50K"]          # skewed on purpose, like per-class rows
    full = validate_frame(rich, small_suite)
    rules = validate_frame(rich, small_suite, rules_only=True)
    assert ("expect_column_mean_to_be_between", "age") in failing(full)
    assert rules.success and rules.statistics["evaluated_expectations"] < full.statistics["evaluated_expectations"]


def test_draft_save_load_validate_round_trip(tmp_path, adult_small, small_suite):
    path = save_suite(small_suite, tmp_path / "c.json")
    text = path.read_text()
    data = json.loads(text)
    assert '"id"' not in text and "batch_id" not in text
    assert text == json.dumps(data, indent=2, sort_keys=True) + "\n"
    loaded = load_suite(path)
    assert save_suite(loaded, tmp_path / "again.json").read_text() == text
    assert validate_frame(adult_small, loaded).success


def test_reviewed_adult_contract_states_real_rules(adult):
    suite = load_suite(REPO_CONTRACT)
    by = {(e.expectation_type, getattr(e, "column", None)): e for e in suite.expectations}
    age = by[("expect_column_values_to_be_between", "age")]
    hours = by[("expect_column_values_to_be_between", "hours-per-week")]
    assert (age.min_value, age.max_value) == (17, 90) and (hours.min_value, hours.max_value) == (1, 99)
    assert sorted(by[("expect_column_values_to_be_in_set", "income")].value_set) == ["<=50K", ">50K"]
    pair = next(e for e in suite.expectations if e.expectation_type == "expect_column_pair_values_to_be_in_set")
    assert (pair.column_A, pair.column_B) == ("education", "education-num")
    assert ["Bachelors", 13] in [list(p) for p in pair.value_pairs_set] and len(pair.value_pairs_set) == 16
    assert "Reviewed by hand" in suite.meta["synthgan"]["review"]
    assert validate_frame(adult, suite).success


@pytest.mark.parametrize("text, message", [
    ("{not json", r"not valid JSON \(line 1, column 2"),
    ('{"name": "x", "expectations": [{"type": "expect_column_values_to_be_purple", "kwargs": {"column": "a"}}]}',
     r"expectation #1: unknown expectation type 'expect_column_values_to_be_purple'"),
    ('{"name": "x", "expectations": [{"type": "expect_column_values_to_be_between", '
     '"kwargs": {"column": "age", "min_value": "low"}}]}',
     r"expectation #1 \(expect_column_values_to_be_between, column age\): invalid arguments"),
    ('{"expectations": []}', r"non-empty 'name'"),
    ('{"name": "x", "meta": {"synthgan": {"pii": {"ssn": {"role": "secret", "on_output": "drop"}}}}}',
     r"meta.synthgan.pii.ssn: expected"),
])
def test_malformed_contracts_get_clear_errors(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ContractError, match=message):
        load_suite(path)


def test_missing_contract_file(tmp_path):
    with pytest.raises(ContractError, match="nope.json: contract file not found"):
        load_suite(tmp_path / "nope.json")


def _people(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ssn = [f"{a:03d}-{b:02d}-{c:04d}" for a, b, c in zip(rng.integers(100, 999, n), rng.integers(10, 99, n),
                                                          rng.integers(1000, 9999, n))]
    first = rng.choice(["Ann", "Bob", "Cleo", "Dev"], n)
    return pd.DataFrame({"ssn": pd.Series(ssn, dtype="str").drop_duplicates().reindex(range(n)).fillna("000-00-0000"),
                         "name": pd.Series([f"{f} Smith{i}" for i, f in enumerate(first)], dtype="str"),
                         "age": rng.integers(18, 80, n), "plan": pd.Series(rng.choice(["basic", "gold"], n), dtype="str")})


def test_pii_is_never_learned_and_never_published(tmp_path):
    from synthgan import TabularGAN
    real = _people(400, 0)
    real = real[~real["ssn"].duplicated()].reset_index(drop=True)
    suite = draft_suite(real, "people", pii={"ssn": "fake", "name": "drop"})
    text = json.dumps(load_suite(save_suite(suite, tmp_path / "p.json")).to_json_dict(), default=str)
    assert not any(v in text for v in real["ssn"]) and not any(v in text for v in real["name"])
    train = strip_pii(real, suite)
    assert list(train.columns) == ["age", "plan"]
    gan = TabularGAN(epochs=2, min_steps=0, random_state=0).fit(train)
    out = apply_pii_policy(gan.sample(1000, random_state=1), suite, real, np.random.default_rng(2))
    assert list(out.columns) == ["ssn", "age", "plan"]
    assert not set(out["ssn"]) & set(real["ssn"])
    assert out["ssn"].is_unique and out["ssn"].str.fullmatch(r"\d{3}-\d{2}-\d{4}").all()
    r = validate_frame(out, suite)
    pii_rules = [f for f in r.failures if "ssn" in f.columns or "name" in f.columns or not f.columns]
    assert pii_rules == [], [f.message for f in pii_rules]


def test_format_regex_describes_the_shape():
    assert format_regex(pd.Series(["123-45-6789", "987-65-4321"])) == r"^(?:\d{3}\-\d{2}\-\d{4})$"
    assert format_regex(pd.Series([f"v{i}" for i in range(100)] + [f"X{i}" for i in range(10)], dtype=object)) \
        == r"^(?:[A-Z]\d|[a-z]\d|[a-z]\d{2})$"


def test_fakes_of_a_unique_column_with_few_possible_values_are_redrawn_not_crashed():
    """Three-digit codes, 400 of the 900 taken by real rows: many first draws collide and are redrawn."""
    import numpy as np
    import pandas as pd

    from synthgan.contracts.pii import fake_like
    real = pd.Series([str(v) for v in range(100, 500)], name="code")
    fakes = fake_like(real, 50, np.random.default_rng(0))
    assert fakes.is_unique and not set(fakes) & set(real) and fakes.str.fullmatch(r"[1-9]\d\d").all()
