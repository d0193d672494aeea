import json

from synthgan.demo import run_demo


def test_demo_writes_data_model_and_evaluation(tmp_path, mixed):
    data = tmp_path / "mixed.csv"
    mixed.to_csv(data, index=False)
    out = tmp_path / "demo"
    from synthgan.contracts import draft_suite, save_suite
    contract = save_suite(draft_suite(mixed, "mixed"), tmp_path / "mixed.json")
    summary = run_demo(data, out, epochs=2, rows=300, seed=0, contract=contract, min_steps=0)
    names = {p.name for p in out.iterdir()}
    assert {"synthetic.parquet", "conditional.parquet", "model", "summary.json", "scores.json",
            "report.html", "contract_result.json"} <= names
    assert summary["contract"]["statistics"]["evaluated_expectations"] > 20
    scores = json.loads((out / "scores.json").read_text())
    assert scores["utility"]["target"] == summary["conditional"]["column"]
    assert summary["holdout_rows"] == 80 and summary["real_rows"] == 320
    assert len(summary["evaluation"]["gates"]) == len(scores["gates"])
