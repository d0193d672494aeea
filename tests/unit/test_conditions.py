import numpy as np

from synthgan.synthesizers.tabular.conditions import ConditionSampler


def test_training_rows_hold_the_condition_and_rare_levels_are_seen():
    rng = np.random.default_rng(0)
    codes = np.stack([rng.choice(3, 5000, p=[0.97, 0.02, 0.01]), rng.choice(2, 5000)], axis=1)
    freqs = [np.bincount(codes[:, j]) / 5000 for j in range(2)]
    s = ConditionSampler(np.array([3, 2]), freqs)
    s.index_rows(codes)
    rows, cond, mask = s.sample_train(20000, rng, codes)
    assert (codes[rows] == cond).all()
    assert mask.any(axis=1).all()
    first = mask[:, 0] & ~mask[:, 1]
    share_rare = (cond[first, 0] == 2).mean()
    assert share_rare > 0.1  # log-frequency sampling: the 1 % level is drawn far more than 1 %
    vec = s.vector(cond, mask)
    assert vec.shape == (20000, 5)
    assert (vec.sum(axis=1) == mask.sum(axis=1)).all()


def test_free_conditions_follow_real_frequencies():
    rng = np.random.default_rng(1)
    s = ConditionSampler(np.array([2]), [np.array([0.8, 0.2])])
    codes, mask = s.sample_free(20000, rng)
    assert mask.all() and abs(codes[:, 0].mean() - 0.2) < 0.02


def _pool(rng, n=20000):
    """Two discrete columns with a strong joint: column 1 is mostly column 0 when column 0 is 0."""
    a = rng.choice(3, n, p=[0.5, 0.3, 0.2])
    b = np.where(a == 0, rng.choice(2, n, p=[0.9, 0.1]), rng.choice(2, n, p=[0.2, 0.8]))
    return np.stack([a, b], axis=1)


def test_free_conditions_from_real_rows_keep_the_joint_under_the_training_mask():
    rng = np.random.default_rng(2)
    pool = _pool(rng)
    s = ConditionSampler(np.array([3, 2]), [np.bincount(pool[:, j]) / len(pool) for j in range(2)],
                         condition_rows=pool)
    codes, mask = s.sample_free(40000, rng)
    assert mask.any(axis=1).all() and (mask.sum(axis=1) == 2).mean() > 0.1    # joint masks, as in training
    joint = lambda c: np.bincount(c[:, 0] * 2 + c[:, 1], minlength=6) / len(c)  # noqa: E731
    np.testing.assert_allclose(joint(codes), joint(pool), atol=0.01)


def test_fixed_conditions_draw_real_rows_that_hold_them_and_fall_back_when_none_does():
    rng = np.random.default_rng(3)
    pool = _pool(rng)
    pool = pool[~((pool[:, 0] == 2) & (pool[:, 1] == 0))]          # the pair (2, 0) never occurs
    s = ConditionSampler(np.array([3, 2]), [np.bincount(pool[:, j]) / len(pool) for j in range(2)],
                         condition_rows=pool)
    codes, mask = s.sample_free(20000, rng, {0: 0})
    assert (codes[:, 0] == 0).all() and mask[:, 0].all()
    assert abs((codes[mask[:, 1], 1] == 0).mean() - 0.9) < 0.02     # the other column as in rows with a = 0
    codes, mask = s.sample_free(100, rng, {0: 2, 1: 0})
    assert (codes == [2, 0]).all() and mask.all()
