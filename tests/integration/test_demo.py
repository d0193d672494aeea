import json

from synthgan.demo import run_demo


def test_demo_writes_data_model_and_evaluation(tmp_path, mixed):
    data = tmp_path / "mixed.csv"
    mixed.to_csv(data, index=False)
    out = tmp_path / "demo"
    summary = run_demo(data, out, epochs=2, rows=300, seed=0)
    names = {p.name for p in out.iterdir()}
    assert {"synthetic.parquet", "conditional.parquet", "model", "summary.json", "scores.json",
            "report.html"} <= names
    scores = json.loads((out / "scores.json").read_text())
    assert scores["utility"]["target"] == summary["conditional"]["column"]
    assert summary["holdout_rows"] == 80 and summary["real_rows"] == 320
    assert len(summary["evaluation"]["gates"]) == len(scores["gates"])
