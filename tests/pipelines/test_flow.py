"""The Prefect flow end to end on a tiny table, against the session's real Prefect test server."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from pipelines.deployments import build_deployments
from pipelines.synthesize import synthesize
from synthgan.cli import app
from synthgan.contracts import draft_suite, save_suite
from tests.conftest import make_mixed

OFF = {g: None for g in ("min_fidelity_score", "max_detection_auc", "min_utility_ratio", "min_dcr_ratio",
                         "max_exact_copy_rate", "max_membership_auc")}


def write_request(folder: Path, name: str = "tiny", **over) -> Path:
    data = folder / "mixed.csv"
    if not data.exists():
        real = make_mixed(400)
        real.to_csv(data, index=False)
        # generous bands and null rates: a 2-epoch GAN is checked for the rules, not its statistics
        save_suite(draft_suite(real, "mixed", tolerance=10, null_slack=0.9), folder / "mixed.json")
    req = {"name": name, "modality": "tabular", "source": {"path": "mixed.csv"}, "target": "group",
           "model": {"preset": "fast", "epochs": 2, "hyperparameters": {"min_steps": 0}}, "generate": {"rows": 300, "per_condition": {"group": {"c": 100}}},
           "contract": "mixed.json", "gates": dict(OFF), "output": "out", "seed": 0}
    req.update(over)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(req))
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_flow_publishes_data_manifest_report_and_latest(tmp_path):
    result = synthesize(str(write_request(tmp_path)))
    assert result["status"] == "published", result["reasons"]
    run = Path(result["path"])
    assert run.parent == tmp_path / "out" / "tiny"
    assert (run.parent / "LATEST").read_text().strip() == result["run_id"] == run.name
    manifest = json.loads((run / "manifest.json").read_text())
    for rel, digest in manifest["files"].items():
        assert sha256(run / rel) == digest
    assert {"data/part-00000.parquet", "report.html"} <= set(manifest["files"])
    assert manifest["rows"] == 400 and manifest["contract"]["success"]
    assert set(manifest["contract"]["statistics"]) == {"sample", "conditional_rows_rules"}
    assert manifest["evaluation"]["utility"]["target"] == "group"
    copies, checked = manifest["evaluation"]["privacy"]["exact_copies_all_rows"]
    assert checked == 400 and copies >= 0           # every published row, per-condition rows included
    table = pq.read_table(run / "data" / "part-00000.parquet")
    assert table.schema.metadata[b"synthgan.request"] == b"tiny"
    assert str(table.schema.field("when").type) == "timestamp[us]" and str(table.schema.field("count").type) == "int64"
    df = pq.read_table(run / "data").to_pandas()
    assert len(df) == 400 and (df["group"] == "c").sum() >= 100
    free, cond = manifest["shards"]
    assert free["rows"] == 300 and free["condition"] is None and cond["condition"] == ["group", "c"]
    assert (pq.read_table(run / "data" / cond["file"]).to_pandas()["group"] == "c").all()
    assert not (run.parent / ".work").exists()
    from prefect.client.orchestration import get_client
    with get_client(sync_client=True) as client:
        arts = {a.key: a for a in client.read_artifacts() if a.key}
    assert arts["tiny-summary"].type == "markdown" and "PUBLISHED" in arts["tiny-summary"].data
    assert arts["tiny-scores"].type == "table"


def test_request_conditions_known_rows_and_dp_publish_what_they_ask_for(tmp_path):
    groups = [{"rows": 80, "values": {"group": "c", "score": [40, 60]}}, {"rows": 50, "values": {"count": [None, 30]}}]
    # rows with known cells, as a user writes them: padded text, blanks to generate, a column left empty
    lines = ["group,score,color"] + [f" {'abc'[i % 3]} ,{'' if i % 2 else 40 + i // 2}," for i in range(40)]
    (tmp_path / "known.csv").write_text("\n".join(lines) + "\n")
    path = write_request(tmp_path, name="groups", generate={"rows": 200, "conditions": groups, "known": "known.csv"},
                         model={"preset": "fast", "epochs": 2, "hyperparameters": {
                             "min_steps": 0, "numeric_bins": 10,
                             "constraints": [{"type": "non_negative", "column": "score"}]}},
                         privacy={"epsilon": 50, "delta": 1e-3})
    result = synthesize(str(path))
    assert result["status"] == "published", result["reasons"]
    run = Path(result["path"])
    manifest = json.loads((run / "manifest.json").read_text())
    free, first, second, filled = manifest["shards"]
    assert free["rows"] == 200 and first["values"] == groups[0]["values"] and second["rows"] == 50
    a = pq.read_table(run / "data" / first["file"]).to_pandas()
    b = pq.read_table(run / "data" / second["file"]).to_pandas()
    assert len(a) == 80 and (a["group"] == "c").all() and a["score"].between(40, 60).all()
    assert len(b) == 50 and (b["count"] <= 30).all()
    c = pq.read_table(run / "data" / filled["file"]).to_pandas()
    assert filled["known"] and len(c) == 40 and list(c["group"]) == ["abc"[i % 3] for i in range(40)]
    assert list(c["score"].iloc[::2]) == [40.0 + i // 2 for i in range(0, 40, 2)]      # known cells kept exactly
    assert c["score"].iloc[1::2].notna().mean() > 0.5 and c["color"].notna().any()  # empty cells generated
    assert c["row_id"].is_unique and not set(c["row_id"]) & (set(a["row_id"]) | set(b["row_id"]))
    assert set(manifest["contract"]["statistics"]) == {"sample", "conditional_rows_rules"}
    assert "score in [40, 60]" in (run / "report.html").read_text()
    assert "known.csv" in (run / "report.html").read_text()
    # trained with DP: what it spent is in the manifest and the report, and the epsilon gate passed
    dp = manifest["model"]["privacy"]
    assert 0 < dp["epsilon"] <= 50 and dp["delta"] == 1e-3 and dp["noise_multiplier"] > 0 and dp["steps"] > 0
    gates = {g["name"]: g for g in manifest["evaluation"]["gates"]}
    assert gates["max_epsilon"]["status"] == "passed" and gates["max_epsilon"]["threshold"] == 50
    assert "Differential privacy" in (run / "report.html").read_text() and "epsilon spent" in (run / "report.html").read_text()


def test_gate_failure_publishes_nothing_and_fails_the_flow_run(tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from pipelines.runs import RunRejected, outcome_of
    state = synthesize(str(write_request(tmp_path, gates={**OFF, "max_detection_auc": 0.5})), return_state=True)
    # a rejected run is a FAILED flow run named "Rejected", its message the reasons: alerts fire
    assert state.is_failed() and state.name == "Rejected"
    assert "max_detection_auc" in state.message and "<= 0.500" in state.message
    result = outcome_of(state)
    assert result["status"] == "rejected" and result["outcome"]["headline"].startswith("REJECTED: 1 reason")
    home = tmp_path / "out" / "tiny"
    assert not (home / result["run_id"]).exists() and not (home / "LATEST").exists()
    reasons = json.loads((home / "_rejected" / result["run_id"] / "reasons.json").read_text())
    assert reasons["status"] == "rejected"
    [detail] = reasons["details"]
    assert detail["rule"] == "max_detection_auc" and detail["limit"] == "<= 0.500"
    assert float(detail["measured"]) > 0.5 and detail["gap"] == pytest.approx(float(detail["measured"]) - 0.5, abs=1e-3)
    assert reasons["reasons"] == [detail["message"]]
    report = (home / "_rejected" / result["run_id"] / "report.html").read_text()
    assert "REJECTED" in report and "max_detection_auc" in report
    import time
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
        arts = {a.key: a for a in client.read_artifacts() if a.key and a.flow_run_id == run.id}   # this run's
        for _ in range(40):                  # logs reach the server in batches, a few seconds late
            logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])))
            text = "\n".join(entry.message for entry in logs)
            if "max_detection_auc" in text and "training: epoch 2/2" in text:
                break
            time.sleep(0.5)
    assert run.name == f"tiny-{result['run_id']}" and {"synthgan", "tiny", "tabular"} <= set(run.tags)
    assert "max_detection_auc" in text and "REJECTED" in text         # the reasons, in the run's log
    assert "training: epoch 2/2" in text                                # and the training progress
    summary = arts["tiny-summary"].data
    assert "REJECTED" in summary and "nothing published" in summary and "max_detection_auc" in summary
    with pytest.raises(RunRejected, match="max_detection_auc"):      # called directly: raises, not a quiet dict
        synthesize(str(write_request(tmp_path, gates={**OFF, "max_detection_auc": 0.5})))


def test_failure_mid_publish_leaves_no_partial_run(tmp_path, monkeypatch):
    first = synthesize(str(write_request(tmp_path)))
    home = tmp_path / "out" / "tiny"
    before = sorted(p.name for p in home.iterdir())

    import synthgan.publish.run as publisher

    def disk_full(*args, **kwargs):
        raise OSError("disk full (injected)")

    monkeypatch.setattr(publisher, "write_json", disk_full)       # after the Parquet parts are written
    with pytest.raises(OSError, match="disk full"):
        synthesize(str(write_request(tmp_path)))
    assert sorted(p.name for p in home.iterdir()) == before
    assert (home / "LATEST").read_text().strip() == first["run_id"]


def test_same_request_and_seed_give_identical_content_and_skip_training(tmp_path):
    path = write_request(tmp_path)
    a = synthesize(str(path))
    model_dirs = list((tmp_path / "out" / "tiny" / "_models").iterdir())
    stamp = (model_dirs[0] / "generator.safetensors").stat().st_mtime_ns
    b = synthesize(str(path))
    ma, mb = (json.loads((Path(r["path"]) / "manifest.json").read_text()) for r in (a, b))
    assert ma["content_hash"] == mb["content_hash"] and a["run_id"] != b["run_id"]
    assert ma["model"]["key"] == mb["model"]["key"]
    assert list((tmp_path / "out" / "tiny" / "_models").iterdir()) == model_dirs
    assert (model_dirs[0] / "generator.safetensors").stat().st_mtime_ns == stamp     # not refitted


def test_a_damaged_cached_model_is_refitted_not_fatal(tmp_path):
    path = write_request(tmp_path)
    a = synthesize(str(path))
    (model_dir,) = (tmp_path / "out" / "tiny" / "_models").iterdir()
    weights = model_dir / "generator.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])            # truncated, as by a full disk or a kill
    b = synthesize(str(path))
    assert b["status"] == "published", b["reasons"]
    ma, mb = (json.loads((Path(r["path"]) / "manifest.json").read_text()) for r in (a, b))
    assert ma["content_hash"] == mb["content_hash"]            # refitted with the same seed: the same rows
    assert len(weights.read_bytes()) > 100


def test_a_run_killed_while_fitting_resumes_from_the_checkpoint(tmp_path, monkeypatch):
    from synthgan.train.loop import AdversarialTrainer
    path = write_request(tmp_path, model={"preset": "fast", "epochs": 4,
                                          "hyperparameters": {"min_steps": 0, "checkpoint_every": 1}})
    real_epoch = AdversarialTrainer._epoch
    seen, killed = [], []

    def dies_in_epoch_3(self, epoch):
        seen.append(epoch)
        if epoch == 2 and not killed:
            killed.append(epoch)
            raise RuntimeError("killed")              # the first fit dies in its third epoch
        return real_epoch(self, epoch)

    monkeypatch.setattr(AdversarialTrainer, "_epoch", dies_in_epoch_3)
    with pytest.raises(RuntimeError, match="killed"):
        synthesize(str(path))
    (ckpt,) = (tmp_path / "out" / "tiny" / "_models").glob("*.checkpoint")
    seen.clear()
    result = synthesize(str(path))
    assert result["status"] == "published"
    assert seen == [2, 3]                             # epochs 1-2 came from the checkpoint
    assert not ckpt.exists()


def test_scheduled_requests_become_deployments(tmp_path):
    write_request(tmp_path, name="nightly", schedule="0 2 * * *")
    write_request(tmp_path, name="weekly", schedule="30 4 * * 1")
    write_request(tmp_path, name="adhoc")
    (tmp_path / "broken.yaml").write_text("name: broken\nmodality: tabular\n")
    with pytest.raises(Exception, match="broken.yaml"):
        build_deployments(tmp_path)
    skipped = []
    deps = {d.name: d for d in build_deployments(tmp_path, skipped)}
    assert [(f.name, "source" in e) for f, e in skipped] == [("broken.yaml", True)]
    assert set(deps) == {"nightly", "weekly", "adhoc"}          # every request, scheduled or not
    assert deps["nightly"].schedules[0].schedule.cron == "0 2 * * *"
    assert not deps["adhoc"].schedules
    assert deps["weekly"].parameters == {"request": str((tmp_path / "weekly.yaml").resolve())}
    assert deps["weekly"].flow_name == "synthgan-synthesize"
    assert {"synthgan", "weekly", "tabular"} <= set(deps["weekly"].tags)
    # a typed form: every parameter described, counts non-negative
    props = deps["adhoc"]._parameter_openapi_schema.properties
    assert set(props) == {"request", "output", "rows", "per_condition", "seed"}
    assert all(props[k].get("description") for k in props)
    assert {"minimum": 0, "type": "integer"} in props["rows"]["anyOf"]


def test_form_overrides_are_validated_like_the_yaml(tmp_path):
    path = write_request(tmp_path, name="form")
    with pytest.raises(Exception, match="generate.per_condition.group: value 'C' never occurs.*did you mean 'c'"):
        synthesize(str(path), rows=50, per_condition={"group": {"C": 10}})
    result = synthesize(str(path), rows=50, per_condition={"group": {"c": 10}})
    manifest = json.loads((Path(result["path"]) / "manifest.json").read_text())
    assert manifest["rows"] == 60 and manifest["request"]["generate"]["rows"] == 50
    assert manifest["row_counts"]["synthetic"] == 60 and manifest["row_counts"]["train"] == 320


def test_cli_run_reports_where_or_why(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["run", str(write_request(tmp_path))])
    assert ok.exit_code == 0, ok.output
    assert "PUBLISHED" in ok.output and "report.html" in ok.output
    bad = runner.invoke(app, ["run", str(write_request(tmp_path, name="strict", gates={**OFF, "max_exact_copy_rate": 0.0,
                                                                                   "max_detection_auc": 0.5}))])
    assert bad.exit_code == 1
    assert "REJECTED: " in bad.output and "max_detection_auc" in bad.output
    assert "nothing published" in bad.output and "reasons.json" in bad.output


def published_run(folder: Path, req: dict) -> Path:
    """Write ``req`` as ``<name>.yaml`` in ``folder``, run it, check it published; its run folder."""
    path = folder / f"{req['name']}.yaml"
    path.write_text(yaml.safe_dump(req))
    result = synthesize(str(path))
    assert result["status"] == "published", result["reasons"]
    return Path(result["path"])


def test_a_dp_timeseries_request_publishes_long_format_series_and_states_its_budget(tmp_path):
    """The series pipeline end to end (one flow run serves both: the DP request goes through every
    step a plain one does, and also states its budget and meets the max_epsilon gate it sets)."""
    from synthgan.datasets import labelled_sines
    labelled_sines(n=80, steps=12).to_parquet(tmp_path / "machines.parquet", index=False)
    req = {"name": "machines", "modality": "timeseries", "source": {"path": "machines.parquet"},
           "series": {"entity": "machine", "time": "step", "static": ["speed", "site"],
                      "features": ["vibration", "temperature"]},
           "target": "speed", "privacy": {"epsilon": 8, "delta": 1e-3},
           "model": {"preset": "fast", "epochs": 2, "hyperparameters": {
               "static_epochs": 2, "min_steps": 0, "static_min_steps": 0, "batch_size": 16, "hidden": 16}},
           "generate": {"rows": 30, "per_condition": {"speed": {"fast": 10}}},
           "gates": {"max_discriminative_score": None, "max_predictive_ratio": None, "min_label_accuracy_ratio": None,
                     "min_dcr_ratio": None}, "output": "out", "seed": 0}
    run = published_run(tmp_path, req)
    df = pq.read_table(run / "data" / "part-00000.parquet").to_pandas()
    assert df["machine"].nunique() == 40
    assert list(df.columns) == ["machine", "step", "vibration", "temperature", "speed", "site"]
    assert (df.groupby("machine")["speed"].first() == "fast").sum() >= 10
    manifest = json.loads((run / "manifest.json").read_text())
    assert {"discriminative_score", "predictive_ratio"} <= set(manifest["evaluation"])
    dp = manifest["model"]["privacy"]
    assert dp["epsilon"] <= 8 and dp["delta"] == 1e-3 and dp["static"]["epsilon"] <= 8 * 0.25
    gate = next(g for g in manifest["evaluation"]["gates"] if g["name"] == "max_epsilon")
    assert gate["status"] == "passed" and gate["threshold"] == 8 and gate["measured"] == dp["epsilon"]
    report = (run / "report.html").read_text()
    assert "Traces" in report and "Differential privacy" in report and "static attributes: epsilon spent alone" in report
    assert "<h2>Series by class (speed)</h2>" in report          # the request's target: real beside synthetic


def test_image_request_publishes_png_bytes_and_labels(tmp_path):
    from synthgan.datasets import digits_frame
    digits_frame().iloc[:200].to_parquet(tmp_path / "digits.parquet", index=False)
    req = {"name": "digits", "modality": "image", "source": {"path": "digits.parquet"}, "target": "label",
           "model": {"preset": "fast", "epochs": 1, "hyperparameters": {"width": 16}},
           "generate": {"rows": 40, "per_condition": {"label": {"8": 10}}},
           "gates": {"min_conditional_accuracy": None, "min_cas_ratio": None}, "output": "out", "seed": 0}
    run = published_run(tmp_path, req)
    table = pq.read_table(run / "data" / "part-00000.parquet")
    assert str(table.schema.field("image").type) == "struct<bytes: binary>"
    from synthgan.ingest.images import images_from_frame
    df = table.to_pandas()
    assert images_from_frame(df).shape == (50, 8, 8) and (df["label"] == 8).sum() >= 10
    manifest = json.loads((run / "manifest.json").read_text())
    assert {"conditional_accuracy", "cas_ratio", "frechet_distance"} <= set(manifest["evaluation"])
    assert "Samples" in (run / "report.html").read_text()


def test_a_request_trained_under_torchrun_is_reused_by_the_flow(tmp_path):
    import os
    import subprocess
    import sys
    path = write_request(tmp_path)
    cli = Path(sys.executable).with_name("synthgan")
    fit = subprocess.run([str(cli), "fit", str(path), "--nproc-per-node", "2"], capture_output=True, text=True,
                         env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=300)
    assert fit.returncode == 0, fit.stderr[-3000:]
    assert "in 2 processes" in fit.stdout
    (model_dir,) = (tmp_path / "out" / "tiny" / "_models").iterdir()
    stamp = (model_dir / "generator.safetensors").stat().st_mtime_ns
    result = synthesize(str(path))
    assert result["status"] == "published", result["reasons"]
    assert json.loads((Path(result["path"]) / "manifest.json").read_text())["model"]["key"] == model_dir.name
    assert (model_dir / "generator.safetensors").stat().st_mtime_ns == stamp          # trained once, by torchrun


def test_the_same_request_in_another_output_folder_uses_its_own_model(tmp_path):
    import shutil
    path = write_request(tmp_path)
    synthesize(str(path))
    synthesize(str(path))                              # the second run's fit is a cache hit
    shutil.rmtree(tmp_path / "out")
    synthesize(str(path), str(tmp_path / "elsewhere"))
    again = synthesize(str(path), str(tmp_path / "elsewhere"))
    assert again["status"] == "published", again["reasons"]
    assert Path(again["path"]).is_relative_to(tmp_path / "elsewhere")


def test_shards_fake_and_drop_personal_data_as_the_contract_says(tmp_path):
    from tests.unit.test_contracts import _people
    real = _people(400, 0)
    real = real[~real["ssn"].duplicated()].reset_index(drop=True)
    real.to_csv(tmp_path / "people.csv", index=False)
    save_suite(draft_suite(real, "people", tolerance=10, null_slack=0.9, pii={"ssn": "fake", "name": "drop"}),
               tmp_path / "people.json")             # generous bands: a 2-epoch GAN is checked for the rules
    req = {"name": "people", "modality": "tabular", "source": {"path": "people.csv"},
           "model": {"preset": "fast", "epochs": 2, "hyperparameters": {"min_steps": 0}}, "generate": {"rows": 600, "shard_rows": 250},
           "contract": "people.json", "gates": dict(OFF), "output": "out", "seed": 0}
    run = published_run(tmp_path, req)
    manifest = json.loads((run / "manifest.json").read_text())
    assert len(manifest["shards"]) == 3
    out = pq.read_table(run / "data").to_pandas()
    assert list(out.columns) == ["ssn", "age", "plan"] and len(out) == 600
    assert not set(out["ssn"]) & set(real["ssn"]) and out["ssn"].str.fullmatch(r"\d{3}-\d{2}-\d{4}").all()
