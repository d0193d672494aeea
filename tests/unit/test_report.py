"""The HTML reports: verdict first (PUBLISHED / REJECTED with each reason, or PASSED / FAILED without
a run), contract results, per-condition rows beside the real rows of their group, loss curves, the
columns that give synthetic rows away, and the same verdict on the time-series and image reports."""

from __future__ import annotations

import html as html_lib
import json
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from synthgan.evaluate import QualityGates, evaluate_tabular
from synthgan.evaluate.detection import detection_auc, detection_by_column
from synthgan.evaluate.gates import ImageGates, SeriesGates
from synthgan.evaluate.image_report import render_image_report
from synthgan.evaluate.plots import spike
from synthgan.evaluate.report import render_report
from synthgan.evaluate.run_report import VERDICT_RED, RunContext
from synthgan.evaluate.series_report import render_series_report
from synthgan.evaluate.timeseries import SeriesEvaluation
from synthgan.ingest.timeseries import read_series, series_from_arrays
from synthgan.outcome import Outcome


def people(n: int, seed: int) -> pd.DataFrame:
    """Two related numbers, a mostly-zero gain (a point mass), a region and a label."""
    rng = np.random.default_rng(seed)
    region = rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2])
    x1 = rng.normal(pd.Series(region).map({"north": 0.0, "south": 1.5, "east": -1.0}).to_numpy(), 1.0)
    gain = np.where(rng.random(n) < 0.9, 0.0, rng.lognormal(8, 1, n)).round()
    label = np.where(rng.random(n) < 1 / (1 + np.exp(-1.5 * x1)), "yes", "no")
    return pd.DataFrame({"x1": x1, "x2": 0.8 * x1 + rng.normal(0, 0.6, n), "gain": gain,
                         "region": pd.Series(region, dtype="str"), "label": pd.Series(label, dtype="str")})


CONTRACT = {
    "success": False,
    "statistics": {"sample": {"evaluated_expectations": 5, "successful_expectations": 4,
                              "unsuccessful_expectations": 1},
                   "conditional_rows_rules": {"evaluated_expectations": 3, "successful_expectations": 3,
                                              "unsuccessful_expectations": 0}},
    "details": [{"part": "sample", "expectation": "expect_column_values_to_be_between", "columns": ["x2"],
                 "measured": "12 unexpected row(s) (3.00%)", "limit": "values between -4 and 4 in every row",
                 "gap": 0.03}],
    "path": "/somewhere/contract_result.json",
}


@pytest.fixture(scope="module")
def real():
    return people(400, 0), people(200, 1)


@pytest.fixture(scope="module")
def bad(real):
    """x1 shifted far away: the fidelity and detection gates fail; membership AUC switched off."""
    train, holdout = real
    synth = people(400, 2).assign(x1=lambda d: d["x1"] + 25.0)
    return evaluate_tabular(train, holdout, synth, gates=QualityGates(max_membership_auc=None), random_state=3)


@pytest.fixture(scope="module")
def conditional():
    rows = people(1200, 5)
    return rows[rows["region"] == "east"].head(100).reset_index(drop=True)


def _run(result, tmp_path, conditional=None, losses: bool = True) -> RunContext:
    model = tmp_path / "model-abc"
    model.mkdir(exist_ok=True)
    if losses:
        recs = [{"epoch": e, "loss_d": -1.0 / (e + 1), "loss_g": 0.5 + 0.1 * e, "loss_cond": 2.0 / (e + 1),
                 "seconds": 1.5} for e in range(5)]
        (model / "losses.jsonl").write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    return RunContext(outcome=Outcome.judge(result.gates, CONTRACT), contract=CONTRACT, request="people <b>&</b>",
                      run_id="20240501-120000-abcd", modality="tabular", model_key="model-abc",
                      created="2024-05-01T12:00:00+00:00", flow_run_id="flow-1234",
                      versions={"python": "3.12.1", "torch": "2.9.0"}, model_dir=model,
                      per_condition={"region": {"east": 100}}, conditional=conditional)


def _row(*cells) -> str:
    """A regex of consecutive table cells (numbers carry class="n")."""
    return "".join(rf'<td(?: class="n")?>{re.escape(html_lib.escape(str(c)))}</td>' for c in cells)


def _before_first_section(page: str) -> str:
    return page[: page.index("<h2")]


def test_rejected_report_opens_with_the_verdict_and_every_reason(bad, tmp_path, conditional):
    run = _run(bad, tmp_path, conditional)
    assert not run.outcome.published and len(run.outcome.reasons) >= 3     # 2+ gates and the contract rule
    paths = bad.write(tmp_path / "out", title="people <synthetic>", run=run)
    page = paths["report"].read_text()
    head = _before_first_section(page)
    assert "REJECTED" in head and 'class="verdict bad"' in head
    assert "PUBLISHED" not in page and "All quality gates passed" not in page
    assert head.index("<h1>") < head.index("REJECTED")
    for r in run.outcome.reasons:             # each reason: its rule, what was measured and the limit, in the head
        for text in (r.rule, r.measured, r.limit):
            assert html_lib.escape(text) in head, text
    assert {"min_fidelity_score", "max_detection_auc"} <= {r.rule for r in run.outcome.reasons}
    assert "20240501-120000-abcd" in head and "2024-05-01T12:00:00+00:00" in head        # the subtitle
    assert "people &lt;synthetic&gt;" in page and "people &lt;b&gt;&amp;&lt;/b&gt;" in page
    assert "<b>&</b>" not in page and "<synthetic>" not in page
    contract = page[page.index("<h2>Data contract</h2>"):]
    assert re.search(_row("sample", 4, 5), contract) and re.search(_row("conditional_rows_rules", 3, 3), contract)
    meta = page[page.index("<h2>Run</h2>"):]
    for text in ("flow-1234", "model-abc", "version: torch", "2.9.0"):
        assert text in meta
    assert page.index("<h2>Run</h2>") > page.index("<h2>Privacy</h2>")
    assert "http://" not in page and "https://" not in page


def test_without_a_run_a_failing_gate_says_failed(bad):
    page = render_report(bad)
    head = _before_first_section(page)
    assert "FAILED" in head and 'class="verdict bad"' in head
    assert "PASSED" not in page and "All quality gates passed" not in page and "REJECTED" not in page
    for g in bad.failed_gates:
        assert g.name in head
    assert "<h2>Run</h2>" not in page and "<h2>Training</h2>" not in page       # nothing of a run to show


def test_a_switched_off_gate_shows_as_skipped(bad):
    page = render_report(bad)
    assert re.search(r'<td>max_membership_auc</td><td><span class="skipped">skipped</span>', page)
    assert re.search(r'<td>min_utility_ratio</td><td><span class="skipped">skipped</span>', page)   # no target
    assert re.search(r'<td>max_detection_auc</td><td><span class="failed">failed</span>', page)


def test_published_run_is_green(real, tmp_path):
    train, holdout = real
    ok = evaluate_tabular(train, holdout, people(400, 7), gates=QualityGates(
        min_fidelity_score=0.5, max_detection_auc=0.99, min_dcr_ratio=0.0, max_exact_copy_rate=1.0,
        max_membership_auc=1.0))
    run = RunContext(outcome=Outcome.judge(ok.gates, None), run_id="r1")
    page = render_report(ok, "fine", run=run)
    head = _before_first_section(page)
    assert ok.passed and "PUBLISHED" in head and 'class="verdict ok"' in head and "REJECTED" not in page
    assert "No contract" in page
    assert "All quality gates passed" in render_report(ok)          # without a run: PASSED


def test_per_condition_rows_sit_beside_the_real_rows_of_their_group(bad, tmp_path, conditional):
    page = render_report(bad, run=_run(bad, tmp_path, conditional))
    section = page[page.index("<h2>Per-condition rows</h2>"): page.index("<h2>What gives")]
    assert "region = east" in section
    real_east = bad.tables.frames["train"].query("region == 'east'")
    assert re.search(_row("rows", len(real_east), 100, "requested 100"), section)
    for col in ("x2", "x1"):
        assert re.search(_row(f"{col} (mean)", f"{real_east[col].mean():,.4g}", f"{conditional[col].mean():,.4g}"),
                         section)
    label_share = real_east["label"].value_counts(normalize=True)
    assert f"{label_share.index[0]} ({label_share.iloc[0]:.0%})" in section
    assert "region (most common)" not in section        # the condition's own column is not repeated


def test_loss_curves_shown_when_recorded_and_a_note_when_not(bad, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with_losses = render_report(bad, run=_run(bad, tmp_path / "a"))
    training = with_losses[with_losses.index("<h2>Training</h2>"):]
    assert '<img alt="training loss curves" src="data:image/png;base64,' in training
    assert "5 epoch(s)" in training
    without = render_report(bad, run=_run(bad, tmp_path / "b", losses=False))
    training = without[without.index("<h2>Training</h2>"):]
    assert "training loss curves" not in without and "No training losses recorded" in training


def test_per_column_detection_names_the_corrupted_column_and_leaves_the_auc_alone(bad):
    cols = bad.detection_columns
    assert set(cols) == set(bad.tables.columns)
    assert next(iter(cols)) == "x1" and cols["x1"] > 0.95
    assert all(v < 0.75 for c, v in cols.items() if c != "x1"), cols
    # detection_auc is what it was before the per-column step: the same seed gives the same value
    seed = np.random.default_rng(3).integers(2**31 - 1, size=3)[0]
    assert bad.detection_auc == detection_auc(bad.tables, np.random.default_rng(seed))
    again = detection_by_column(bad.tables, np.random.default_rng([int(seed), 1]))
    assert again == cols                                            # seeded, so repeatable
    assert bad.to_dict()["detection_columns"] == cols
    page = render_report(bad)
    section = page[page.index("<h2>What gives"):page.index("<h2>Utility")]
    assert section.index("<td>x1</td>") < min(section.index(f"<td>{c}</td>") for c in cols if c != "x1")


def test_point_mass_columns_get_their_own_bar(bad):
    assert spike(np.r_[np.zeros(90), np.arange(1.0, 31.0)]) == 0.0
    assert spike(np.random.default_rng(0).normal(size=200)) is None
    assert spike(np.r_[np.zeros(90), np.arange(1.0, 11.0)]) is None     # few values: a plain histogram
    assert spike(bad.tables.views["train"].num[:, bad.tables.numeric.index("gain")]) == 0.0


def waves(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(8)[None, :, None]
    x = np.sin(rng.uniform(0.2, 0.6, (n, 1, 2)) * t + rng.uniform(0, 3, (n, 1, 2)))
    return series_from_arrays(x, labels=rng.choice(["a", "b"], n), feature_names=["u", "v"])


def test_series_report_opens_with_the_verdict(tmp_path):
    real = read_series(waves(20, 0), "series", "step", static=["label"])
    synth = read_series(waves(20, 1), "series", "step", static=["label"])
    ev = SeriesEvaluation(0.4, 0.3, 0.2, 0.05, {"u": 0.9, "v": 0.8}, 1.0, {"label": 0.95},
                          acf_real=np.zeros((3, 2)), acf_synthetic=np.zeros((3, 2)))
    gates = SeriesGates().check(ev.to_dict())
    run = RunContext(outcome=Outcome.judge(gates, None), run_id="ts-run", model_dir=tmp_path)
    page = render_series_report(ev, real, synth, gates, "series", run=run)
    head = _before_first_section(page)
    assert "REJECTED" in head and "max_discriminative_score" in head and "max_predictive_ratio" in head
    assert "No contract" in page and "No training losses recorded" in page and "ts-run" in page
    plain = render_series_report(ev, real, synth, gates, "series")
    assert "FAILED" in _before_first_section(plain) and "Traces" in plain and "Series by class" not in plain


def test_series_report_shows_each_class_real_beside_synthetic():
    """With a label, one row per class: real series of that class beside synthetic ones of it,
    each panel naming the class and how many series it holds."""
    from synthgan.evaluate import series_report
    real = read_series(waves(20, 0), "series", "step", static=["label"])
    synth = read_series(waves(30, 1), "series", "step", static=["label"])
    titles = [ax.get_title() for ax in series_report.class_figure(real, synth, "label").axes]
    counts = {c: int((real.static["label"] == c).sum()) for c in ("a", "b")}
    synth_counts = {c: int((synth.static["label"] == c).sum()) for c in ("a", "b")}
    assert sorted(titles) == sorted([f"label = {c}: real ({counts[c]} series)" for c in "ab"] +
                                    [f"label = {c}: synthetic ({synth_counts[c]} series)" for c in "ab"])
    assert series_report.class_figure(real, synth, "no such column") is None
    ev = SeriesEvaluation(0.4, 0.3, 0.2, 0.05, {"u": 0.9, "v": 0.8}, 1.0, {"label": 0.95},
                          acf_real=np.zeros((3, 2)), acf_synthetic=np.zeros((3, 2)))
    page = render_series_report(ev, real, synth, SeriesGates().check(ev.to_dict()), "series", label="label")
    assert "<h2>Series by class (label)</h2>" in page


def test_image_report_opens_with_the_verdict():
    rng = np.random.default_rng(0)
    imgs, labels = rng.integers(0, 256, (20, 8, 8), dtype=np.uint8), np.repeat([0, 1], 10)
    scores = {"conditional_accuracy": 0.95, "cas": 0.5, "real_accuracy": 0.9, "cas_ratio": 0.55,
              "frechet_distance": 3.0, "frechet_distance_real": 1.0, "diversity_ratio": {"0": 1.0, "1": 0.9}}
    gates = ImageGates().check(scores)
    run = RunContext(outcome=Outcome.judge(gates, CONTRACT), contract=CONTRACT, run_id="img-run")
    page = render_image_report(scores, (imgs, labels), (imgs, labels), [0, 1], gates, "digits", run=run)
    head = _before_first_section(page)
    assert "REJECTED" in head and "min_cas_ratio" in head and "expect_column_values_to_be_between" in head
    assert '<td>min_conditional_accuracy</td><td><span class="passed">' in page
    assert "Samples" in page and "<h2>Data contract</h2>" in page
    published = RunContext(outcome=Outcome.judge([], None))
    assert 'class="verdict ok">PUBLISHED' in render_image_report(scores, (imgs, labels), (imgs, labels), [0, 1],
                                                                 [], "digits", run=published)


def test_headless_browser_shows_the_red_verdict_at_the_top(bad, tmp_path, conditional):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium not installed: no headless browser to render the report with")
    from PIL import Image
    report = bad.write(tmp_path / "out", title="people", run=_run(bad, tmp_path, conditional))["report"]
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=1200,800", "--hide-scrollbars", f"file://{report}"],
                   check=True, capture_output=True, timeout=120)
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    red = np.array([int(VERDICT_RED[i:i + 2], 16) for i in (1, 3, 5)])
    top = pixels[: pixels.shape[0] // 3]
    assert (np.abs(top - red).sum(axis=2) < 30).sum() > 2000        # a red banner, not a stray pixel
