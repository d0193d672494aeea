"""Synthesis requests: valid files load with paths resolved; bad ones name the field at fault."""

import pytest
import yaml

from synthgan.errors import ConfigError
from synthgan.request import PRESETS, load_request


def write(folder, **fields):
    (folder / "data.csv").write_text("a,b\n1,x\n2,y\n")
    req = {"name": "t", "modality": "tabular", "source": {"path": "data.csv"}, **fields}
    path = folder / "req.yaml"
    path.write_text(yaml.safe_dump(req))
    return path


def test_valid_request_resolves_paths_and_presets(tmp_path):
    req = load_request(write(tmp_path, model={"preset": "fast", "batch_size": 100}, output="pub",
                             generate={"rows": 10, "per_condition": {"b": {"x": 5}}}, schedule="0 3 * * 1"))
    assert req.source.path == (tmp_path / "data.csv").resolve() and req.output == (tmp_path / "pub").resolve()
    assert req.model.resolved() == {**PRESETS["fast"], "batch_size": 100}
    assert req.generate.total == 15 and req.quality_gates.max_detection_auc == 0.90


def test_the_repository_demo_request_loads():
    req = load_request("requests/adult.yaml")
    assert req.name == "adult" and req.target == "income" and req.contract.name == "adult.json"


@pytest.mark.parametrize("fields, message", [
    ({"colour": "red"}, "colour: unknown field"),
    ({"generate": {"rows": -5}}, "generate.rows: Input should be greater than or equal to 0"),
    ({"generate": {"per_condition": {"b": {"x": -1}}}}, "per_condition.b.x: row count must be >= 0"),
    ({"modality": "audio"}, "modality: Input should be 'tabular', 'timeseries' or 'image'"),
    ({"generate": {"rows": 1e23}}, "generate.rows: "),
    ({"generate": {"rows": 10**12}}, r"generate: .*rows: 1,000,000,000,000 rows asked for, above the "
                                     r"ceiling generate.max_rows = 100,000,000; that would be about 15,000.0 GB of Parquet"),
    ({"generate": {"rows": 60_000_000, "per_condition": {"b": {"x": 50_000_000}}}}, "110,000,000 rows asked for"),
    ({"name": "../etc"}, "name: '../etc' must not contain a path separator"),
    ({"name": "a/b"}, "name: 'a/b' must not contain a path separator"),
    ({"source": {"path": "missing.csv"}}, "source.path: .*missing.csv not found"),
    ({"contract": "nope.json"}, "contract: file .*nope.json not found"),
    ({"schedule": "every monday"}, "schedule: 'every monday' is not a valid cron expression"),
    ({"gates": {"max_auc": 0.5}}, r"gates: unknown quality gate\(s\) \['max_auc'\]"),
    ({"model": {"preset": "huge"}}, "model.preset: Input should be 'fast', 'default' or 'quality'"),
    ({"images": {"resize": 100}}, "images.resize: Input should be less than or equal to 64"),
    ({"generate": {"conditions": [{"rows": 5, "values": {}}]}}, "conditions.0.values: .*name at least one column"),
    ({"generate": {"conditions": [{"rows": 5, "values": {"a": [1, 2, 3]}}]}}, r"values.a: a range is \[low, high\]"),
    ({"generate": {"conditions": [{"rows": -1, "values": {"a": 1}}]}}, "conditions.0.rows: Input should be greater"),
    ({"generate": {"conditions": [{"rows": 60_000_000, "values": {"a": 1}}], "rows": 50_000_000}},
     "110,000,000 rows asked for"),
    ({"generate": {"known": "nope.csv"}}, "generate.known: .*nope.csv not found"),
    ({"privacy": {"epsilon": 3}}, "privacy: delta: required"),
    ({"privacy": {"epsilon": 3, "delta": 1e-5}, "modality": "image"}, "privacy: differentially private training is for tabular"),
    ({"privacy": {"epsilon": 3, "delta": 1e-5}, "model": {"hyperparameters": {"privacy": {"epsilon": 1}}}},
     "give the budget once"),
    ({"generate": {"known": "data.csv"}, "modality": "image"}, "generate.known: rows with known cells are for tabular"),
])
def test_bad_requests_name_the_field(tmp_path, fields, message):
    with pytest.raises(ConfigError, match=message):
        load_request(write(tmp_path, **fields))


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml: request file not found"):
        load_request(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_request(bad)
    bad.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="expected a mapping of fields"):
        load_request(bad)


def test_the_row_ceiling_can_be_raised_on_purpose(tmp_path):
    req = load_request(write(tmp_path, generate={"rows": 200_000_000, "max_rows": 300_000_000}))
    assert req.generate.total == 200_000_000


def test_known_rows_are_read_like_the_source_and_checked_against_its_columns(tmp_path):
    from synthgan.steps.tabular import read_request_known
    (tmp_path / "known.csv").write_text("b,a\n x ,\n?,2\n")
    req = load_request(write(tmp_path, generate={"rows": 0, "known": "known.csv"}))
    assert req.generate.known == (tmp_path / "known.csv").resolve() and req.generate.conditioned
    known = read_request_known(req, ["a", "b"])
    assert known["b"].iloc[0] == "x" and known["b"].isna().tolist() == [False, True] and known["a"].isna().tolist() == [True, False]
    (tmp_path / "known.csv").write_text("b,colour\nx,red\n")
    with pytest.raises(ConfigError, match=r"generate.known: .*known.csv: column\(s\) \['colour'\] are not in"):
        read_request_known(req, ["a", "b"])
    (tmp_path / "known.csv").write_text("b\n" + "x\n" * 11)
    req = load_request(write(tmp_path, generate={"rows": 0, "known": "known.csv", "max_rows": 10}))
    with pytest.raises(ConfigError, match="11 known rows on top of 0 others pass generate.max_rows = 10"):
        read_request_known(req, ["a", "b"])


def test_a_privacy_budget_reaches_the_model_and_sets_the_epsilon_gate(tmp_path):
    from synthgan.steps.preflight import build_model
    req = load_request(write(tmp_path, privacy={"epsilon": 3, "delta": 1e-5}))
    assert req.quality_gates.max_epsilon == 3.0
    assert build_model(req).validate_params().privacy == {"epsilon": 3.0, "delta": 1e-5, "max_grad_norm": 1.0, "accountant": "rdp"}
    req = load_request(write(tmp_path, privacy={"epsilon": 3, "delta": 1e-5}, gates={"max_epsilon": 5}))
    assert req.quality_gates.max_epsilon == 5.0
    assert load_request(write(tmp_path)).quality_gates.max_epsilon is None


def test_a_timeseries_request_takes_a_privacy_budget(tmp_path):
    from synthgan.datasets import labelled_sines
    from synthgan.steps.preflight import build_model
    labelled_sines(n=20, steps=16).to_csv(tmp_path / "m.csv", index=False)
    req = {"name": "m", "modality": "timeseries", "source": {"path": "m.csv"}, "privacy": {"epsilon": 4, "delta": 1e-5},
           "series": {"entity": "machine", "time": "step", "static": ["speed"], "features": ["vibration"]}}
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(req))
    loaded = load_request(tmp_path / "r.yaml")
    assert loaded.series_gates.max_epsilon == 4.0 and build_model(loaded).validate_params().privacy["epsilon"] == 4.0
    (tmp_path / "r.yaml").write_text(yaml.safe_dump({**req, "privacy": None}))
    assert load_request(tmp_path / "r.yaml").series_gates.max_epsilon is None
