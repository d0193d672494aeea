import pandas as pd
import pyarrow.parquet as pq
from typer.testing import CliRunner

from synthgan.cli import app

runner = CliRunner()


def test_fit_then_conditional_sample(tmp_path, mixed):
    data = tmp_path / "data.parquet"
    mixed.to_parquet(data, index=False)
    r = runner.invoke(app, ["fit", str(data), "--out", str(tmp_path / "m"), "--epochs", "2", "--seed", "0",
                            "--quiet"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "s.parquet"
    r = runner.invoke(app, ["sample", str(tmp_path / "m"), "-n", "250", "-o", str(out), "-c", "group=b",
                            "-c", "flag=True", "--seed", "1"])
    assert r.exit_code == 0, r.output
    s = pq.read_table(out).to_pandas()
    assert len(s) == 250 and (s["group"] == "b").all() and s["flag"].all()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary leftovers


def test_bad_input_exits_nonzero_with_message(tmp_path):
    r = runner.invoke(app, ["schema", str(tmp_path / "missing.csv")])
    assert r.exit_code != 0
    assert "missing.csv: file or folder not found" in str(r.exception)


def test_schema_command(tmp_path, mixed):
    data = tmp_path / "d.csv"
    mixed.to_csv(data, index=False)
    r = runner.invoke(app, ["schema", str(data)])
    assert r.exit_code == 0 and "datetime" in r.output and "id" in r.output
