import pandas as pd
import pyarrow.parquet as pq
from typer.testing import CliRunner

from synthgan.cli import app

runner = CliRunner()


def test_fit_then_conditional_sample(tmp_path, mixed):
    data = tmp_path / "data.parquet"
    mixed.to_parquet(data, index=False)
    r = runner.invoke(app, ["fit", str(data), "--out", str(tmp_path / "m"), "--epochs", "2", "--min-steps", "0", "--seed", "0",
                            "--numeric-bins", "10", "--quiet"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "s.parquet"
    r = runner.invoke(app, ["sample", str(tmp_path / "m"), "-n", "250", "-o", str(out), "-c", "group=b",
                            "-c", "flag=True", "--seed", "1"])
    assert r.exit_code == 0, r.output
    s = pq.read_table(out).to_pandas()
    assert len(s) == 250 and (s["group"] == "b").all() and s["flag"].all()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary leftovers
    r = runner.invoke(app, ["sample", str(tmp_path / "m"), "-n", "200", "-o", str(tmp_path / "r.csv"),
                            "-c", "score=40..60", "-c", "count=..30", "-c", "group=a", "--seed", "1"])
    assert r.exit_code == 0, r.output
    s = pd.read_csv(tmp_path / "r.csv")
    assert len(s) == 200 and s["score"].between(40, 60).all() and (s["count"] <= 30).all() and (s["group"] == "a").all()
    known = mixed[["group", "score"]].head(30).copy()
    known.loc[::2, "score"] = None
    known.to_csv(tmp_path / "known.csv", index=False)
    r = runner.invoke(app, ["sample", str(tmp_path / "m"), "--known", str(tmp_path / "known.csv"),
                            "-o", str(tmp_path / "k.parquet"), "--seed", "2"])
    assert r.exit_code == 0, r.output
    k = pq.read_table(tmp_path / "k.parquet").to_pandas()
    assert len(k) == 30 and (k["group"] == known["group"]).all()
    kept = known["score"].notna()
    assert (k.loc[kept, "score"] == known.loc[kept, "score"]).all()
    r = runner.invoke(app, ["sample", str(tmp_path / "m"), "-o", str(tmp_path / "x.csv")])
    assert r.exit_code != 0 and "either --rows N or --known FILE" in str(r.exception) + r.output


def test_fit_with_a_dp_budget_states_what_it_spent(tmp_path, mixed):
    data = tmp_path / "data.parquet"
    mixed.to_parquet(data, index=False)
    r = runner.invoke(app, ["fit", str(data), "--out", str(tmp_path / "m"), "--epochs", "1", "--min-steps", "4",
                            "--epsilon", "5", "--delta", "1e-4", "--seed", "0", "--quiet"])
    assert r.exit_code == 0, r.output
    assert "DP epsilon" in r.output
    r = runner.invoke(app, ["fit", str(data), "--out", str(tmp_path / "n"), "--epsilon", "5"])
    assert r.exit_code != 0 and "give both" in str(r.exception) + r.output


def test_bad_input_exits_nonzero_with_message(tmp_path):
    r = runner.invoke(app, ["schema", str(tmp_path / "missing.csv")])
    assert r.exit_code != 0
    assert "missing.csv: file or folder not found" in str(r.exception)


def test_schema_command(tmp_path, mixed):
    data = tmp_path / "d.csv"
    mixed.to_csv(data, index=False)
    r = runner.invoke(app, ["schema", str(data)])
    assert r.exit_code == 0 and "datetime" in r.output and "id" in r.output


def _evaluate_inputs(tmp_path, synthetic):
    from tests.unit.test_evaluate import make_labelled
    paths = {}
    for name, df in {"train": make_labelled(1200, 0), "holdout": make_labelled(600, 1),
                     "synthetic": synthetic if synthetic is not None else make_labelled(1200, 2)}.items():
        paths[name] = tmp_path / f"{name}.parquet"
        df.to_parquet(paths[name], index=False)
    return paths


def test_evaluate_writes_scores_and_report(tmp_path):
    import json
    p = _evaluate_inputs(tmp_path, None)
    out = tmp_path / "eval"
    r = runner.invoke(app, ["evaluate", "--train", str(p["train"]), "--holdout", str(p["holdout"]),
                            "--synthetic", str(p["synthetic"]), "--target", "label", "--out", str(out)])
    assert r.exit_code == 0, r.output
    scores = json.loads((out / "scores.json").read_text())
    assert scores["utility"]["target"] == "label" and 0.0 < scores["detection_auc"] < 1.0
    assert {g["name"] for g in scores["gates"]} >= {"min_fidelity_score", "max_exact_copy_rate"}
    assert (out / "report.html").read_text().startswith("<!doctype html>")
    assert "max_detection_auc" in r.output


def test_evaluate_strict_fails_on_copied_rows(tmp_path):
    p = _evaluate_inputs(tmp_path, None)
    pd.read_parquet(p["train"]).to_parquet(p["synthetic"], index=False)
    gates = tmp_path / "gates.yaml"
    gates.write_text("max_exact_copy_rate: 0.0\nmax_detection_auc: null\n")
    r = runner.invoke(app, ["evaluate", "--train", str(p["train"]), "--holdout", str(p["holdout"]),
                            "--synthetic", str(p["synthetic"]), "--out", str(tmp_path / "eval"),
                            "--gates", str(gates), "--strict"])
    assert r.exit_code == 1, r.output
    row = next(line for line in r.output.splitlines() if "max_detection_auc" in line)
    assert "skipped" in row and "off" in row and "failed" in r.output      # switched off: shown, not judged
    verdict = next(line for line in r.output.splitlines() if line.startswith("FAILED:"))
    assert "max_exact_copy_rate" in verdict and "max_detection_auc" not in verdict
    assert (tmp_path / "eval" / "report.html").exists()     # the report still tells why


def test_evaluate_bad_target_exits_2_and_writes_nothing(tmp_path):
    import subprocess
    import sys
    p = _evaluate_inputs(tmp_path, None)
    out = tmp_path / "eval"
    r = subprocess.run([sys.executable, "-m", "synthgan.cli", "evaluate", "--train", str(p["train"]),
                        "--holdout", str(p["holdout"]), "--synthetic", str(p["synthetic"]),
                        "--target", "salary", "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 2
    assert "target column 'salary' is not in the tables" in r.stderr
    assert not out.exists() and not [q for q in tmp_path.iterdir() if q.name.startswith(".")]


def test_contract_draft_then_validate(tmp_path, mixed):
    import json
    data = tmp_path / "mixed.parquet"
    mixed.to_parquet(data, index=False)
    contract = tmp_path / "contracts" / "mixed.json"
    r = runner.invoke(app, ["contract", "draft", str(data), "--name", "mixed", "--out", str(contract)])
    assert r.exit_code == 0, r.output
    assert json.loads(contract.read_text())["name"] == "mixed"
    r = runner.invoke(app, ["validate", str(data), "--contract", str(contract)])
    assert r.exit_code == 0 and "passed" in r.output
    bad = mixed.assign(group="zzz").drop(columns="score")
    bad_path = tmp_path / "bad.csv"
    bad.to_csv(bad_path, index=False)
    result = tmp_path / "result.json"
    r = runner.invoke(app, ["validate", str(bad_path), "--contract", str(contract), "--out", str(result)],
                      env={"COLUMNS": "250"})
    assert r.exit_code == 1
    assert "zzz" in r.output and "column absent: score" in r.output and "failed: 8 of" in r.output
    saved = json.loads(result.read_text())
    assert saved["success"] is False
    assert {"group", "score"} <= {c for f in saved["failures"] for c in f["columns"]}


def test_validate_states_the_limit_and_no_markup_eats_the_data(tmp_path, mixed):
    data = tmp_path / "mixed.parquet"
    mixed.to_parquet(data, index=False)
    contract = tmp_path / "mixed.json"
    assert runner.invoke(app, ["contract", "draft", str(data), "--name", "mixed", "--out", str(contract)]).exit_code == 0
    bad = mixed.copy()
    bad["group"] = bad["group"].astype(object)
    bad.loc[:19, "group"] = "[red]x[/]"                          # text that Rich would read as markup
    bad["score"] = bad["score"] + 100 * bad["score"].std()     # the mean far outside its band
    bad_path = tmp_path / "bad.parquet"
    bad.to_parquet(bad_path, index=False)
    r = runner.invoke(app, ["validate", str(bad_path), "--contract", str(contract)], env={"COLUMNS": "250"})
    assert r.exit_code == 1
    out = " ".join(r.output.split())
    assert '"[red]x[/]" x20' in out                             # the data, verbatim
    assert "allowed" in out and "values in {" in out            # the rule's limit, not only what was seen
    assert "mean between" in out


def test_help_text_keeps_brackets():
    r = runner.invoke(app, ["contract", "draft", "--help"], env={"COLUMNS": "200"})
    assert "[data_contracts/NAME.json]" in r.output


def test_contract_bad_name_and_unreadable_data(tmp_path, mixed):
    data = tmp_path / "mixed.csv"
    mixed.to_csv(data, index=False)
    r = runner.invoke(app, ["contract", "draft", str(data), "--name", "../evil"])
    assert r.exit_code != 0 and "must not contain a path separator" in r.output
    contract = tmp_path / "c.json"
    assert runner.invoke(app, ["contract", "draft", str(data), "--name", "m", "--out", str(contract)]).exit_code == 0
    r = runner.invoke(app, ["validate", str(tmp_path / "missing.csv"), "--contract", str(contract)])
    assert r.exit_code != 0 and "missing.csv: file or folder not found" in str(r.exception)


def test_fit_needs_out_for_data_and_refuses_it_for_a_request(tmp_path, mixed):
    data = tmp_path / "data.csv"
    mixed.to_csv(data, index=False)
    r = runner.invoke(app, ["fit", str(data)])
    assert r.exit_code == 2 and "--out: a model folder is needed" in r.output
    req = tmp_path / "r.yaml"
    req.write_text(f"name: r\nmodality: tabular\nsource: {{path: {data}}}\n")
    r = runner.invoke(app, ["fit", str(req), "--out", str(tmp_path / "m")])
    assert r.exit_code == 2 and "drop --out" in r.output and not (tmp_path / "m").exists()


def test_demo_is_the_pipelines_demo_and_names_a_missing_request(tmp_path, monkeypatch):
    """`synthgan demo` runs the shipped request through the flow (as `make demo`); from a folder
    without it, a clear error names the file (exit status 2 through main)."""
    import subprocess
    import sys
    from synthgan.cli import pipeline
    assert pipeline.demo.__doc__ and "pipeline" in pipeline.demo.__doc__
    monkeypatch.chdir(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "synthgan.cli", "demo"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "requests/adult.yaml: no such request file" in proc.stderr and "Traceback" not in proc.stderr
