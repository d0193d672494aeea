"""One outcome stated one way: reasons with rule, measured value, limit and gap; checks of a request
against its data before any training."""

import os

import pytest
import yaml

from synthgan.contracts import draft_suite, save_suite, validate_frame
from synthgan.errors import ConfigError, ContractError, OutputError
from synthgan.evaluate.results import GateResult
from synthgan.outcome import Outcome, Reason
from synthgan.steps.preflight import check_request, check_writable
from synthgan.request import load_request
from tests.conftest import make_mixed


def test_outcome_from_gates_and_contract_names_rule_measure_limit_gap():
    gates = [GateResult("max_detection_auc", "failed", 0.934, 0.9, "x"),
             GateResult("min_fidelity_score", "passed", 0.95, 0.8, "y"),
             GateResult("min_utility_ratio", "skipped", 0.5, None, "z")]       # switched off: no reason
    contract = {"details": [{"part": "sample", "expectation": "expect_column_mean_to_be_between", "columns": ["age"],
                             "measured": "45.2", "limit": "mean between 35.17 and 41.99", "gap": 3.21}]}
    out = Outcome.judge(gates, contract)
    assert not out.published and out.headline == "REJECTED: 2 reasons (1 gate, 1 contract rule)"
    gate, rule = out.reasons
    assert (gate.rule, gate.measured, gate.limit, gate.gap) == ("max_detection_auc", "0.934", "<= 0.900", 0.034)
    assert gate.message == "gate max_detection_auc: measured 0.934; allowed <= 0.900 (off by 0.034)"
    assert rule.message == ("contract expect_column_mean_to_be_between on age [sample]: measured 45.2; "
                            "allowed mean between 35.17 and 41.99 (off by 3.210)")
    assert out.state_message().startswith("Rejected: gate max_detection_auc")
    again = Outcome.from_dict(out.to_dict())
    assert again.reasons == out.reasons and again.status == "rejected"
    assert Outcome.judge(gates[1:], None).headline == "PUBLISHED"


def test_state_message_stays_short_with_many_reasons():
    out = Outcome("rejected", [Reason("contract", f"rule{i}", "1", "0") for i in range(10)])
    assert out.state_message().endswith("; and 7 more")


def test_contract_failures_state_observed_and_allowed():
    real = make_mixed(400)
    suite = draft_suite(real, "m", tolerance=0.25)
    bad = real.assign(score=real["score"] + 1000.0)
    bad["color"] = bad["color"].astype(object)
    bad.loc[:49, "color"] = None
    failures = {(f.expectation, tuple(f.columns)): f for f in validate_frame(bad, suite).failures}
    mean = failures[("expect_column_mean_to_be_between", ("score",))]
    assert mean.limit.startswith("mean between ") and mean.gap > 900
    assert "allowed mean between" in mean.message and "off by" in mean.message
    nulls = failures[("expect_column_values_to_not_be_null", ("color",))]
    assert "at most" in nulls.limit and "unexpected" in nulls.measured and "null x" in nulls.measured
    assert nulls.gap > 0 and "percentage points" in nulls.message


def write_request(folder, **over):
    real = make_mixed(200)
    real.to_csv(folder / "mixed.csv", index=False)
    req = {"name": "pre", "modality": "tabular", "source": {"path": "mixed.csv"}, "target": "group",
           "generate": {"rows": 10, "per_condition": {"group": {"c": 5}}}, **over}
    path = folder / "req.yaml"
    path.write_text(yaml.safe_dump(req))
    return path, real


def test_request_checks_catch_typos_before_training(tmp_path):
    path, real = write_request(tmp_path)
    check_request(load_request(path), real)                          # fine as written
    req = load_request(path, {"generate.per_condition": {"group": {"C": 5}}})
    with pytest.raises(ConfigError, match=r"generate.per_condition.group: value 'C' never occurs in column 'group'"
                                          r".*did you mean 'c'\?"):
        check_request(req, real)
    with pytest.raises(ConfigError, match="generate.per_condition: column 'grp' is not one of"):
        check_request(load_request(path, {"generate.per_condition": {"grp": {"c": 5}}}), real)
    check_request(load_request(path, {"generate.per_condition": {"count": {"30": 5}}}), real)   # numbers as text
    with pytest.raises(ConfigError, match=r"model .*unknown hyperparameter\(s\) \['epoch'\]"):
        check_request(load_request(path, {"model": {"hyperparameters": {"epoch": 3}}}), real)
    with pytest.raises(ConfigError, match="target: column 'income' is not in"):
        check_request(load_request(path, {"target": "income"}), real)


def test_contract_is_parsed_and_matched_to_the_data_before_training(tmp_path):
    path, real = write_request(tmp_path)
    save_suite(draft_suite(real.rename(columns={"score": "points"}), "m"), tmp_path / "other.json")
    with pytest.raises(ConfigError, match=r"contract .*other.json: names column\(s\) not in .*'points'"):
        check_request(load_request(path, {"contract": "other.json"}), real)
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(ContractError, match="broken.json: not valid JSON"):
        check_request(load_request(path, {"contract": "broken.json"}), real)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere: permissions cannot be tested")
def test_output_that_cannot_be_written_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(OutputError, match="not writable"):
        check_writable(locked / "adult")


def test_output_under_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        check_writable(tmp_path / "file" / "adult")


def test_model_cache_key_follows_the_full_configuration(tmp_path):
    """An explicit default is the same model; any hyperparameter the model trains with is in the key."""
    from synthgan.steps.common import model_folder
    from synthgan.synthesizers.tabular import TabularGAN
    path, _ = write_request(tmp_path)
    base = model_folder(load_request(path), "fp")
    same = load_request(path, {"model": {"hyperparameters": {"min_steps": TabularGAN().min_steps}}})
    other = load_request(path, {"model": {"hyperparameters": {"pac": 5}}})
    assert model_folder(same, "fp") == base and model_folder(other, "fp") != base
