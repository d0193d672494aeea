"""The bad-input and fault matrix of the README, case by case: each is a clear one-line error (or
a stated warning), never a traceback, and nothing is left half-written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from synthgan.errors import ConfigError, DataError
from synthgan.evaluate import evaluate_tabular
from synthgan.request import load_request
from tests.conftest import make_mixed

CLI = Path(sys.executable).with_name("synthgan")


def request(folder: Path, **fields) -> Path:
    make_mixed(50).to_csv(folder / "data.csv", index=False)
    req = {"name": "t", "modality": "tabular", "source": {"path": "data.csv"}, **fields}
    path = folder / "req.yaml"
    path.write_text(yaml.safe_dump(req, allow_unicode=True))
    return path


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "60"}
    env.pop("SYNTHGAN_DEBUG", None)
    return subprocess.run([str(CLI), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


def one_line_error(r: subprocess.CompletedProcess, text: str) -> None:
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(lines) == 1, r.stderr
    assert text in lines[0], lines[0]


def test_request_output_that_is_a_file(tmp_path):
    (tmp_path / "pub").write_text("not a folder")
    with pytest.raises(ConfigError, match="output: .*pub is a file; expected a folder"):
        load_request(request(tmp_path, output="pub"))


def test_request_file_that_is_not_utf8(tmp_path):
    path = request(tmp_path)
    path.write_bytes(path.read_bytes() + b"# caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_request(path)


@pytest.mark.parametrize("name", ["a\x00b", "名前 😀", "", ".hidden"])
def test_request_names_that_cannot_name_folders_and_artifacts(tmp_path, name):
    with pytest.raises(ConfigError, match="name"):
        load_request(request(tmp_path, name=name))


def test_one_row_source_table_is_refused_before_any_work(tmp_path):
    from synthgan.steps import ingest, split
    path = request(tmp_path)
    make_mixed(1).to_csv(tmp_path / "data.csv", index=False)
    req = load_request(path)
    paths = ingest(req, tmp_path / "work")
    with pytest.raises(DataError, match=r"data.csv: 1 rows; a model needs at least 10 training rows"):
        split(paths["real"], paths["schema"], req, tmp_path / "work")


def test_evaluate_with_a_one_row_synthetic_table_or_only_a_target():
    train, hold = make_mixed(200), make_mixed(100, 1)
    with pytest.raises(DataError, match=r"synthetic table has 1 row\(s\); scoring needs at least 10"):
        evaluate_tabular(train, hold, make_mixed(200, 2).head(1), target="group")
    with pytest.raises(DataError, match="target column 'group' is the only column"):
        evaluate_tabular(train[["group"]], hold[["group"]], make_mixed(200, 2)[["group"]], target="group")


def test_a_tiny_holdout_scores_with_a_warning():
    r = evaluate_tabular(make_mixed(200), make_mixed(100, 1).head(1), make_mixed(200, 2), target="group")
    assert any("the holdout has 1 row(s)" in w for w in r.warnings)
    assert r.to_dict()["warnings"] == r.warnings


def test_cli_errors_are_one_line(tmp_path):
    data = tmp_path / "d.csv"
    make_mixed(50).to_csv(data, index=False)
    one_line_error(cli("contract", "draft", str(data), "--name", "", cwd=tmp_path), "--name")
    one_line_error(cli("contract", "draft", str(data), "--name", "x", "--pii", "sex", cwd=tmp_path),
                   "--pii 'sex': expected COLUMN=drop|fake")
    (tmp_path / "sub").mkdir()
    one_line_error(cli("contract", "draft", str(data), "--name", "x", "--out", str(tmp_path / "sub"), cwd=tmp_path),
                   "is a folder; expected a file name")
    (tmp_path / "bad.yaml").write_bytes(b"name: caf\xe9\n")
    one_line_error(cli("run", "bad.yaml", cwd=tmp_path), "not UTF-8 text")
