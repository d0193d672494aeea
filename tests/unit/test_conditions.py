import numpy as np

from synthgan.synthesizers.conditions import ConditionSampler


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
