"""No command deletes or replaces what it did not create: existing outputs need --force, and then
they are replaced atomically with nothing left beside them."""

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from synthgan.cli import app
from synthgan.errors import OutputError
from tests.conftest import make_mixed

runner = CliRunner()


@pytest.fixture
def model(tiny_model):
    return tiny_model


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_fit_refuses_a_folder_with_user_files_and_force_replaces_it_cleanly(tmp_path):
    data = tmp_path / "d.parquet"
    make_mixed(100).to_parquet(data, index=False)
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.txt").write_text("years of work")
    args = ["fit", str(data), "--out", str(out), "--epochs", "1", "--min-steps", "0", "--quiet"]
    r = runner.invoke(app, args)
    assert isinstance(r.exception, OutputError) and "folder exists and is not empty; pass --force" in str(r.exception)
    assert (out / "thesis.txt").read_text() == "years of work"
    r = runner.invoke(app, args + ["--force"])
    assert r.exit_code == 0, r.output
    assert (out / "manifest.json").exists() and not (out / "thesis.txt").exists()
    assert leftovers(tmp_path) == []
    (tmp_path / "file").write_text("x")
    r = runner.invoke(app, ["fit", str(data), "--out", str(tmp_path / "file"), "--force", "--quiet"])
    assert isinstance(r.exception, OutputError) and "is a file; expected a folder" in str(r.exception)


def test_evaluate_refuses_the_current_folder_and_non_empty_ones(tmp_path, monkeypatch):
    real = make_mixed(200)
    for name, df in {"t": real, "h": make_mixed(100, 1), "s": make_mixed(200, 2)}.items():
        df.to_parquet(tmp_path / f"{name}.parquet", index=False)
    base = ["evaluate", "--train", str(tmp_path / "t.parquet"), "--holdout", str(tmp_path / "h.parquet"),
            "--synthetic", str(tmp_path / "s.parquet")]
    monkeypatch.chdir(tmp_path)
    for target in (".", str(tmp_path.parent)):
        r = runner.invoke(app, base + ["--out", target, "--force"])
        assert isinstance(r.exception, OutputError) and "refusing to write over the current folder" in str(r.exception)
    assert leftovers(tmp_path) == []
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "notes.md").write_text("mine")
    r = runner.invoke(app, base + ["--out", "eval"])
    assert isinstance(r.exception, OutputError)
    assert (tmp_path / "eval" / "notes.md").read_text() == "mine"


def test_sample_streams_to_parquet_or_csv_and_refuses_what_exists(model, tmp_path):
    out = tmp_path / "rows.csv"
    r = runner.invoke(app, ["sample", str(model), "-n", "20000", "-o", str(out), "--seed", "1"])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert len(df) == 20000 and list(df.columns) == list(make_mixed(5).columns)
    r = runner.invoke(app, ["sample", str(model), "-n", "5", "-o", str(out)])
    assert isinstance(r.exception, OutputError) and "file exists; pass --force" in str(r.exception)
    assert len(pd.read_csv(out)) == 20000
    r = runner.invoke(app, ["sample", str(model), "-n", "5", "-o", str(out), "--force"])
    assert r.exit_code == 0 and len(pd.read_csv(out)) == 5 and leftovers(tmp_path) == []
    r = runner.invoke(app, ["sample", str(model), "-n", "5", "-o", str(tmp_path / "rows.txt")])
    assert isinstance(r.exception, OutputError) and "unknown output format '.txt'" in str(r.exception)
    r = runner.invoke(app, ["sample", str(model), "-n", "7", "-o", str(tmp_path / "rows.parquet")])
    assert r.exit_code == 0 and len(pd.read_parquet(tmp_path / "rows.parquet")) == 7


def test_contract_draft_and_validate_do_not_overwrite_without_force(tmp_path):
    data = tmp_path / "d.csv"
    make_mixed(100).to_csv(data, index=False)
    contract = tmp_path / "c.json"
    contract.write_text('{"reviewed": true}')
    r = runner.invoke(app, ["contract", "draft", str(data), "--name", "d", "--out", str(contract)])
    assert isinstance(r.exception, OutputError) and contract.read_text() == '{"reviewed": true}'
    r = runner.invoke(app, ["contract", "draft", str(data), "--name", "d", "--out", str(contract), "--force"])
    assert r.exit_code == 0 and "expectations" in contract.read_text()
    result = tmp_path / "r.json"
    result.write_text("keep")
    r = runner.invoke(app, ["validate", str(data), "--contract", str(contract), "-o", str(result)])
    assert isinstance(r.exception, OutputError) and result.read_text() == "keep"


def test_cli_errors_are_one_line_with_exit_2(model, tmp_path):
    """Through the installed entry point: no traceback, one line, exit status 2."""
    cli = Path(sys.executable).parent / "synthgan"
    r = subprocess.run([str(cli), "sample", str(model), "-n", "5", "-o", str(tmp_path)], capture_output=True,
                       text=True, env={**os.environ, "COLUMNS": "60"})          # narrow: still one line
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "is a folder; expected a file name" in lines[0]
