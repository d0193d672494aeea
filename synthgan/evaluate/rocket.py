"""A strong, fast post-hoc judge for series: ROCKET features and a ridge classifier.

ROCKET (Dempster, Petitjean and Webb, 2020) transforms each series with many random dilated
convolution kernels and keeps, per kernel, the proportion of positive values (PPV) and the maximum;
a linear classifier on those features matches far bigger networks on the UCR benchmark and trains
in seconds on a CPU. Here, for multivariate series of varying length: each kernel reads a random
subset of the channels, PPV and max are taken over the valid steps only, and the series' length is
one more feature. Deterministic under a seed.

It is the judge behind the strong discriminative score (real vs synthetic) and the label
accuracies (train on synthetic, test on real) of :mod:`synthgan.evaluate.timeseries`; TimeGAN's
paper-sized GRU scores stay beside it for comparison with the literature.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

KERNEL_LENGTHS = (7, 9, 11)


class RocketFeatures:
    """``n_kernels`` random kernels for series of ``n_channels`` channels and ``length`` steps."""

    def __init__(self, n_channels: int, length: int, n_kernels: int = 2000, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.length, self.n_channels = length, n_channels
        groups: dict[tuple[int, int], list[tuple[np.ndarray, float]]] = {}
        for _ in range(n_kernels):
            k = int(rng.choice(KERNEL_LENGTHS))
            top = np.log2(max((length - 1) / (k - 1), 1.0))
            d = int(2 ** rng.uniform(0, top))
            w = np.zeros((n_channels, k))
            used = rng.choice(n_channels, size=int(2 ** rng.uniform(0, np.log2(n_channels + 1))) if n_channels > 1 else 1,
                              replace=False)
            w[used] = rng.normal(0, 1, (len(used), k))
            w[used] -= w[used].mean(axis=1, keepdims=True)
            groups.setdefault((k, d), []).append((w, float(rng.uniform(-1, 1))))
        self.groups = [(k, d, torch.as_tensor(np.stack([w for w, _ in ks]), dtype=torch.float32),
                        torch.as_tensor([b for _, b in ks], dtype=torch.float32)) for (k, d), ks in groups.items()]

    def transform(self, values: np.ndarray, lengths: np.ndarray, batch: int = 512) -> np.ndarray:
        """(N, T, C) series (zero beyond their length) -> (N, 2 * kernels + 1) features."""
        out = []
        x_all = torch.as_tensor(np.ascontiguousarray(values, dtype=np.float32)).transpose(1, 2)   # (N, C, T)
        t = x_all.shape[2]
        valid_all = torch.as_tensor(np.arange(t)[None, :] < np.asarray(lengths)[:, None])
        with torch.no_grad():
            for start in range(0, len(x_all), batch):
                x, valid = x_all[start:start + batch], valid_all[start:start + batch, None, :]
                n_valid = valid.sum(2).clamp_min(1)
                feats = []
                for k, d, w, b in self.groups:
                    y = F.conv1d(x, w, b, padding=(k - 1) * d // 2, dilation=d)[:, :, :t]
                    feats.append(((y > 0) & valid).sum(2) / n_valid)                      # PPV
                    feats.append(y.masked_fill(~valid, float("-inf")).amax(2))            # max
                feats.append(n_valid.float() / t)
                out.append(torch.cat(feats, 1).numpy())
        return np.concatenate(out) if out else np.zeros((0, 1), np.float32)


def _classifier(seed: int):
    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    return make_pipeline(StandardScaler(), RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)))


def rocket_discriminative(real: np.ndarray, real_len: np.ndarray, synth: np.ndarray, synth_len: np.ndarray,
                          seed: int = 0, max_series: int = 5000, n_kernels: int = 2000) -> float:
    """|test accuracy - 0.5| of ROCKET + ridge telling real from synthetic series: equal numbers of
    each (at most ``max_series``), trained on a stratified 70%, tested on the rest. 0 = the judge
    cannot tell them apart; 0.5 = it always can."""
    from sklearn.model_selection import train_test_split
    rng = np.random.default_rng(seed)
    n = min(len(real), len(synth), max_series)
    ri, si = rng.choice(len(real), n, replace=False), rng.choice(len(synth), n, replace=False)
    feats = RocketFeatures(real.shape[2], real.shape[1], n_kernels, seed)
    x = np.concatenate([feats.transform(real[ri], real_len[ri]), feats.transform(synth[si], synth_len[si])])
    y = np.r_[np.ones(n), np.zeros(n)]
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.3, random_state=seed, stratify=y)
    model = _classifier(seed).fit(xtr, ytr)
    return float(abs((model.predict(xte) == yte).mean() - 0.5))


def rocket_label_accuracy(train: np.ndarray, train_len: np.ndarray, train_y: np.ndarray, test: np.ndarray,
                          test_len: np.ndarray, test_y: np.ndarray, seed: int = 0, n_kernels: int = 2000) -> float:
    """Accuracy on ``test`` of ROCKET + ridge trained on ``train`` to predict the label."""
    if len(np.unique(train_y)) < 2:
        return float((test_y == train_y[0]).mean()) if len(train_y) else 0.0
    feats = RocketFeatures(train.shape[2], train.shape[1], n_kernels, seed)
    model = _classifier(seed).fit(feats.transform(train, train_len), train_y)
    return float((model.predict(feats.transform(test, test_len)) == test_y).mean())

