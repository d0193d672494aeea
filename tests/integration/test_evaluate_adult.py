"""synthgan.evaluate on real-world mess: UCI Adult, with '?' nulls, stray spaces and 15 columns.

A "synthetic" table of other real Adult rows (disjoint from train and holdout) is what a perfect
generator would produce: it must pass as real, be as useful, and copy no more than real data does.
"""

import numpy as np
import pytest

from synthgan.evaluate import evaluate_tabular


@pytest.fixture(scope="module")
def adult_parts(adult):
    idx = np.random.default_rng(0).permutation(len(adult))
    train, holdout, other = (adult.iloc[idx[a:b]].reset_index(drop=True)
                             for a, b in ((0, 10000), (10000, 15000), (15000, 25000)))
    return train, holdout, other


def test_other_real_rows_pass_every_gate(adult_parts):
    train, holdout, other = adult_parts
    r = evaluate_tabular(train, holdout, other, target="income")
    assert r.passed, [g.reason for g in r.failed_gates]
    assert r.fidelity.score > 0.97
    assert abs(r.detection_auc - 0.5) < 0.05
    assert 0.95 < r.utility.ratio < 1.05
    assert r.privacy.exact_copy_rate == pytest.approx(r.privacy.holdout_exact_copy_rate, abs=0.003)
    assert 0.8 < r.privacy.dcr_median_ratio < 1.25
    assert set(r.fidelity.column_shapes) == set(adult_parts[0].columns)


def test_rows_with_the_label_flipped_lose_utility(adult_parts):
    train, holdout, other = adult_parts
    flipped = other.assign(income=other["income"].map({"<=50K": ">50K", ">50K": "<=50K"}))
    r = evaluate_tabular(train, holdout, flipped, target="income")
    assert r.utility.ratio < 0.5
    assert "min_utility_ratio" in {g.name for g in r.failed_gates}
    assert r.detection_auc > 0.7
