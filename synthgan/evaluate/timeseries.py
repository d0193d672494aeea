"""Metrics for synthetic time series, as in TimeGAN (Yoon et al., 2019) plus simple comparisons.

- Discriminative score: a post-hoc GRU classifier learns real vs synthetic on 80% of each and is
  tested on the rest; the score is |accuracy - 0.5| (0 = indistinguishable).
- Predictive score: a post-hoc GRU trained on synthetic series predicts, at every step, the next
  value of the last feature from the other features; the score is its mean absolute error on real
  series (data scaled to [0, 1] by the real minimum and maximum). The same predictor trained on
  real series gives the baseline.
- Strong discriminative score: the same question put to a judge with real capacity, ROCKET
  features and a ridge classifier (:mod:`synthgan.evaluate.rocket`); the gates read this one. On
  the sines, two real draws score ~0.01 and real series plus N(0, 0.02) noise 0.5.
- Label utility (with a static label): the ROCKET classifier trained on synthetic series, tested
  on real ones, against one trained on real series.
- Memorisation: distance to the closest training series from synthetic and from holdout series.
- Autocorrelation (lags 1-10) and marginal (KS complement of each feature's values and of the
  lengths) comparisons.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn

from synthgan.evaluate.fidelity import ks_complement
from synthgan.ingest.timeseries import SeriesData, read_series


class _GRUNet(nn.Module):
    def __init__(self, n_in: int, hidden: int, n_out: int, layers: int = 1):
        super().__init__()
        self.gru = nn.GRU(n_in, hidden, layers, batch_first=True)
        self.out = nn.Linear(hidden, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:        # (B, T, in) -> (B, T, out)
        return self.out(self.gru(x)[0])


def _last(y: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    return y[torch.arange(len(y)), lengths - 1]


def _fit(net: nn.Module, loss_fn, n: int, iterations: int, batch: int, gen: torch.Generator) -> None:
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(iterations):
        idx = torch.randint(n, (min(batch, n),), generator=gen)
        opt.zero_grad(set_to_none=True)
        loss_fn(idx).backward()
        opt.step()


def _net(n_in: int, hidden: int, n_out: int, seed: int, layers: int = 1) -> _GRUNet:
    from synthgan.models.common import build_seeded
    return build_seeded(lambda: _GRUNet(n_in, hidden, n_out, layers), torch.Generator().manual_seed(seed),
                        torch.device("cpu"))


def scale_like(real: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Min-max scaling to [0, 1] by the real data's per-feature range."""
    flat = real.reshape(-1, real.shape[2])
    lo, hi = flat.min(0), flat.max(0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return [((a - lo) / span).astype(np.float32) for a in (real, *others)]


def discriminative_score(real: np.ndarray, real_len: np.ndarray, synth: np.ndarray, synth_len: np.ndarray,
                         seed: int = 0, iterations: int = 2000, batch: int = 128, hidden: int | None = None,
                         layers: int = 1) -> float:
    """|test accuracy - 0.5| of a GRU classifier telling real from synthetic series: TimeGAN's
    paper-sized one by default (one layer of max(features / 2, 4) units), or ``hidden`` units in
    ``layers`` layers (the 2-layer, 32-unit judge DoppelGANger's comparisons use)."""
    rng = np.random.default_rng(seed)
    n = min(len(real), len(synth))
    ri, si = rng.choice(len(real), n, replace=False), rng.choice(len(synth), n, replace=False)
    x = torch.as_tensor(np.concatenate([real[ri], synth[si]]))
    lengths = torch.as_tensor(np.concatenate([real_len[ri], synth_len[si]]))
    y = torch.as_tensor(np.r_[np.ones(n), np.zeros(n)], dtype=torch.float32)
    order = rng.permutation(2 * n)
    cut = int(0.8 * 2 * n)
    train, test = torch.as_tensor(order[:cut]), torch.as_tensor(order[cut:])
    net = _net(x.shape[2], hidden or max(x.shape[2] // 2, 4), 1, seed, layers)
    bce = nn.BCEWithLogitsLoss()
    gen = torch.Generator().manual_seed(seed)
    _fit(net, lambda i: bce(_last(net(x[train[i]]), lengths[train[i]])[:, 0], y[train[i]]), cut, iterations, batch, gen)
    with torch.no_grad():
        pred = (_last(net(x[test]), lengths[test])[:, 0] > 0).float()
    return float(abs((pred == y[test]).float().mean().item() - 0.5))


def predictive_score(train: np.ndarray, train_len: np.ndarray, test: np.ndarray, test_len: np.ndarray,
                     seed: int = 0, iterations: int = 3000, batch: int = 128) -> float:
    """MAE on ``test`` of a GRU trained on ``train`` to predict the next step of the last feature."""
    f = train.shape[2]
    inputs = slice(0, f - 1) if f > 1 else slice(0, 1)
    xtr = torch.as_tensor(train[:, :-1, inputs])
    ytr = torch.as_tensor(train[:, 1:, f - 1])
    mtr = torch.as_tensor((np.arange(train.shape[1] - 1)[None, :] < (train_len - 1)[:, None]).astype(np.float32))
    net = _net(xtr.shape[2], max(f // 2, 4), 1, seed)
    gen = torch.Generator().manual_seed(seed)

    def loss(i):
        err = (torch.sigmoid(net(xtr[i])[:, :, 0]) - ytr[i]).abs() * mtr[i]
        return err.sum() / mtr[i].sum()

    _fit(net, loss, len(xtr), iterations, batch, gen)
    xte, yte = torch.as_tensor(test[:, :-1, inputs]), torch.as_tensor(test[:, 1:, f - 1])
    mte = torch.as_tensor((np.arange(test.shape[1] - 1)[None, :] < (test_len - 1)[:, None]).astype(np.float32))
    with torch.no_grad():
        err = (torch.sigmoid(net(xte)[:, :, 0]) - yte).abs() * mte
    return float(err.sum() / mte.sum())


def label_accuracy(train: np.ndarray, train_len: np.ndarray, train_y: np.ndarray, test: np.ndarray,
                   test_len: np.ndarray, test_y: np.ndarray, seed: int = 0, iterations: int = 1500) -> float:
    """Accuracy on ``test`` of a GRU classifier of the label trained on ``train``."""
    classes = np.unique(np.r_[train_y, test_y])
    ytr = torch.as_tensor(np.searchsorted(classes, train_y))
    x, lengths = torch.as_tensor(train), torch.as_tensor(train_len)
    net = _net(x.shape[2], max(x.shape[2] * 2, 8), len(classes), seed)
    ce = nn.CrossEntropyLoss()
    _fit(net, lambda i: ce(_last(net(x[i]), lengths[i]), ytr[i]), len(x), iterations, 128,
         torch.Generator().manual_seed(seed))
    with torch.no_grad():
        pred = _last(net(torch.as_tensor(test)), torch.as_tensor(test_len)).argmax(1).numpy()
    return float((classes[pred] == test_y).mean())


def autocorrelation(values: np.ndarray, lengths: np.ndarray, max_lag: int = 10) -> np.ndarray:
    """(lags, features): autocorrelation at lags 1..max_lag averaged over series."""
    lags = min(max_lag, int(lengths.min()) - 1)
    out = np.zeros((lags, values.shape[2]))
    for k in range(1, lags + 1):
        valid = (np.arange(values.shape[1] - k)[None, :] < (lengths - k)[:, None])[:, :, None]
        mean = (values * (np.arange(values.shape[1])[None, :, None] < lengths[:, None, None])).sum(1) / lengths[:, None]
        c = values - mean[:, None, :]
        num = (c[:, :-k] * c[:, k:] * valid).sum(1)
        den = (c ** 2 * (np.arange(values.shape[1])[None, :, None] < lengths[:, None, None])).sum(1)
        out[k - 1] = np.nanmean(np.where(den > 0, num / np.where(den > 0, den, 1), np.nan), axis=0)
    return out


def memorisation(train: np.ndarray, train_len: np.ndarray, synth: np.ndarray, synth_len: np.ndarray,
                 holdout: np.ndarray, holdout_len: np.ndarray, seed: int = 0, max_series: int = 5000) -> dict:
    """Distance to the closest training series, from synthetic series and from real holdout series
    (scaled values, zero past the end, the length as one more coordinate; Euclidean). Synthetic
    series much closer to the training series than new real ones are copies or near-copies:
    ``dcr_p5_ratio`` = 5th percentile synthetic / 5th percentile holdout (below 1: closer than new
    real series), ``exact_copies`` = synthetic series at distance ~0. ``mia_auc``: the distance
    membership-inference attack, as for tables: training series (members) against as many holdout
    series (non-members), scored by closeness to the closest synthetic series (0.5 = no signal)."""
    from sklearn.metrics import roc_auc_score
    from sklearn.neighbors import NearestNeighbors
    rng = np.random.default_rng(seed)

    def flat(x, lengths, limit):
        idx = rng.choice(len(x), min(len(x), limit), replace=False)
        return np.concatenate([x[idx].reshape(len(idx), -1), lengths[idx, None] / x.shape[1]], axis=1)

    nn_ = NearestNeighbors(n_neighbors=1).fit(flat(train, train_len, max_series))
    ds = nn_.kneighbors(flat(synth, synth_len, max_series))[0][:, 0]
    dh = nn_.kneighbors(flat(holdout, holdout_len, max_series))[0][:, 0]
    p5s, p5h = float(np.percentile(ds, 5)), float(np.percentile(dh, 5))
    m = min(len(train), len(holdout), max_series)
    to_synth = NearestNeighbors(n_neighbors=1).fit(flat(synth, synth_len, max_series))
    d_in = to_synth.kneighbors(flat(train, train_len, m))[0][:, 0]
    d_out = to_synth.kneighbors(flat(holdout, holdout_len, m))[0][:, 0]
    mia = float(roc_auc_score(np.r_[np.ones(m), np.zeros(m)], -np.r_[d_in, d_out]))
    return {"dcr_synthetic_p5": p5s, "dcr_holdout_p5": p5h, "dcr_synthetic_median": float(np.median(ds)),
            "dcr_holdout_median": float(np.median(dh)), "dcr_p5_ratio": p5s / p5h if p5h > 0 else None,
            "exact_copies": int((ds < 1e-6).sum()), "series_compared": int(len(ds)), "mia_auc": mia}


@dataclass
class SeriesEvaluation:
    discriminative_score: float
    predictive_score_synthetic: float
    predictive_score_real: float
    autocorrelation_gap: float
    feature_shapes: dict[str, float]
    length_shape: float
    static_shapes: dict[str, float]
    label_accuracy: dict[str, float] | None = None
    acf_real: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    acf_synthetic: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    discriminative_score_strong: float | None = None
    memorisation: dict | None = None

    def to_dict(self) -> dict:
        d = {k: v for k, v in asdict(self).items() if not isinstance(v, np.ndarray)}
        d["predictive_ratio"] = self.predictive_score_synthetic / self.predictive_score_real \
            if self.predictive_score_real > 0 else None
        d["label_accuracy_ratio"] = (self.label_accuracy["tstr"] / self.label_accuracy["trtr"]
                                     if self.label_accuracy and self.label_accuracy["trtr"] > 0 else None)
        d["judges"] = {"discriminative_score": "TimeGAN's post-hoc GRU (paper-sized: hidden = features/2)",
                       "discriminative_score_strong": STRONG_JUDGE, "label_accuracy": STRONG_JUDGE}
        return d


STRONG_JUDGE = ("ROCKET (2,000 random dilated convolution kernels, PPV and max over the valid steps, the length) "
                "and a ridge classifier; 70/30 split")


def evaluate_timeseries(real: pd.DataFrame, synthetic: pd.DataFrame, entity: str, time: str,
                        features=None, static=None, label: str | None = None, holdout: pd.DataFrame | None = None,
                        random_state: int = 0, iterations: int = 2000) -> SeriesEvaluation:
    """Compare synthetic long-format series with real ones (see the module docstring)."""
    r = read_series(real, entity, time, features, static, source="real")
    s = read_series(synthetic, entity, time, r.features, list(r.static.columns), source="synthetic")
    h = read_series(holdout, entity, time, r.features, list(r.static.columns), source="holdout") \
        if holdout is not None else None
    t = max(r.max_len, s.max_len, h.max_len if h else 0)
    rv, sv, hv = (_pad(d.values, t) if d is not None else None for d in (r, s, h))
    rs, ss, hs = scale_like(rv, sv, hv if hv is not None else rv)
    if h is not None:
        fit_x, fit_len, test, test_len = rs, r.lengths, hs, h.lengths
    else:           # no holdout: the real baseline trains on 80% of the real series, both test on the rest
        idx = np.random.default_rng(random_state).permutation(len(rs))
        a, b = idx[: int(0.8 * len(rs))], idx[int(0.8 * len(rs)):]
        fit_x, fit_len, test, test_len = rs[a], r.lengths[a], rs[b], r.lengths[b]
    disc = discriminative_score(rs, r.lengths, ss, s.lengths, random_state, iterations)
    pred_syn = predictive_score(ss, s.lengths, test, test_len, random_state, iterations)
    pred_real = predictive_score(fit_x, fit_len, test, test_len, random_state, iterations)
    acf_r, acf_s = autocorrelation(rv, r.lengths), autocorrelation(sv, s.lengths)
    n = min(len(acf_r), len(acf_s))
    shapes = {f: ks_complement(_valid(rv, r.lengths)[:, i], _valid(sv, s.lengths)[:, i]) for i, f in enumerate(r.features)}
    static_shapes = {c: _static_shape(r.static[c], s.static[c]) for c in r.static.columns}
    from synthgan.evaluate.rocket import rocket_discriminative, rocket_label_accuracy
    strong = rocket_discriminative(rs, r.lengths, ss, s.lengths, random_state)
    acc = None
    if label is not None and h is not None:
        ytr, yte = r.static[label].astype(str).to_numpy(), h.static[label].astype(str).to_numpy()
        acc = {"trtr": rocket_label_accuracy(rs, r.lengths, ytr, hs, h.lengths, yte, random_state),
               "tstr": rocket_label_accuracy(ss, s.lengths, s.static[label].astype(str).to_numpy(), hs, h.lengths,
                                             yte, random_state)}
    memo = memorisation(rs, r.lengths, ss, s.lengths, hs, h.lengths, random_state) if h is not None else None
    return SeriesEvaluation(disc, pred_syn, pred_real, float(np.abs(acf_r[:n] - acf_s[:n]).mean()), shapes,
                            ks_complement(r.lengths.astype(float), s.lengths.astype(float)), static_shapes, acc,
                            acf_r, acf_s, strong, memo)


def _pad(values: np.ndarray, t: int) -> np.ndarray:
    return values if values.shape[1] == t else np.pad(values, ((0, 0), (0, t - values.shape[1]), (0, 0)))


def _valid(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    return values[np.arange(values.shape[1])[None, :] < lengths[:, None]].astype(np.float64)


def _static_shape(r: pd.Series, s: pd.Series) -> float:
    if pd.api.types.is_numeric_dtype(r.dtype) and not pd.api.types.is_bool_dtype(r.dtype):
        return ks_complement(r.to_numpy(float), s.to_numpy(float))
    levels = pd.Index(pd.concat([r, s]).dropna().astype(str).unique())
    p = r.dropna().astype(str).value_counts(normalize=True).reindex(levels, fill_value=0).to_numpy()
    q = s.dropna().astype(str).value_counts(normalize=True).reindex(levels, fill_value=0).to_numpy()
    return float(1 - 0.5 * np.abs(p - q).sum())


__all__ = ["SeriesData", "SeriesEvaluation", "autocorrelation", "discriminative_score", "evaluate_timeseries",
           "memorisation", "predictive_score"]
