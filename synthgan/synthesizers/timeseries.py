"""TimeSeriesGAN: synthetic long-format time series conditioned on static attributes.

A DoppelGANger-style split: the static attributes of a series, with its length when lengths vary,
are one table learned by a :class:`TabularGAN` (so conditions on them are exact and mixed types,
nulls and rare levels are handled as for tables); a recurrent feature generator, conditioned on the
encoded attributes, writes the time steps. Both train with the shared adversarial loop.

For scarce data (tens of series): the budget is at least ``min_steps`` generator steps whatever
the epochs (50 series are one batch an epoch); the critic sees real and fake series through the
same random, differentiable augmentation (DiffAugment: scale, shift, jitter), so it cannot simply
memorise the few real ones; and a small classifier trained on the real series (frozen) guides the
generator: for each discrete attribute it can tell from the series (checked on held-out series),
fake series must be recognised as the attribute they were conditioned on (with ``guide_shape``, read
without their output noise). That is what makes series of one class look like that class, not
only like series in general.

Texture and scale: the generator adds per-step white noise of a learned scale and a roughness loss
matches the real series' second differences (a recurrent net alone writes series too smooth, which
a strong judge sees at once); values map into [-0.9, 0.9] so tanh reaches the real extremes; and
series of very different sizes or levels are scaled one by one, their midpoints and ranges learned
as attributes (DoppelGANger's auto-normalisation; ``series_scale``).

Differential privacy (``privacy={"epsilon", "delta"}``; the privacy unit is one series, its static
row and all its steps): the static attributes spend ``static_privacy_share`` of epsilon, as a noisy
count table when they are all discrete and few enough (:mod:`synthgan.synthesizers.histogram`,
``static_histogram``), else as a TabularGAN whose critic trains with DP-SGD (see
:mod:`synthgan.train.private`); the feature critic trains with
DP-SGD on Poisson batches of series, its noise the least whose composition with the static part, in
Opacus' accountant, stays within the budget; the guidance classifier is trained with DP-SGD too,
on ``guide_privacy_share`` of epsilon. The feature generator is conditioned on attributes and
lengths drawn from the DP static model, never on real series. The moment and roughness losses,
which read real batches, are off under DP; the global value ranges, the scaling mode and the
series' length and time grid are public metadata, as the tabular transformer's statistics are.
"""

from __future__ import annotations

import time as _time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from synthgan.errors import ConfigError, DataError, NotFittedError
from synthgan.ingest.timeseries import SeriesData, read_series
from synthgan.models.common import build_seeded
from synthgan.models.timeseries import SequenceCritic, SequenceGenerator
from synthgan.synthesizers.config import check_common, check_known
from synthgan.synthesizers.histogram import MAX_NOISE_SHARE, DiscreteHistogram
from synthgan.synthesizers.tabular import TabularGAN
from synthgan.train import distributed, private
from synthgan.train.device import resolve_device
from synthgan.train.loop import AdversarialTrainer, Batch, TrainConfig
from synthgan.train.private import PrivacySpec

LENGTH = "__length__"
MID, LOG_HALF = "__mid_{}__", "__loghalf_{}__"    # per-series scale attributes, one pair per feature
SCALES = ("auto", "global", "series")
HISTOGRAM = ("auto", "always", "never")
UNIT = 0.9      # real values map into [-UNIT, UNIT]: the generator's tanh reaches the real extremes
MIN_SERIES = 10
PUBLIC_POOL = 4096   # under DP: static rows drawn from the DP static model, the generator's conditions
GUIDE_BATCH = 64     # series per batch of the guidance classifier


@dataclass
class TimeSeriesGANConfig:
    """Hyperparameters; the constructor of :class:`TimeSeriesGAN` stores them, ``fit`` checks them."""

    epochs: int = 300
    batch_size: int = 128
    step_noise: int = 8
    global_noise: int = 16
    hidden: int = 64
    layers: int = 2
    critic_channels: int = 64
    lr_g: float = 5e-4
    lr_d: float = 5e-4
    d_steps: int = 2
    gp_weight: float = 10.0
    moment_weight: float = 1.0
    ema_decay: float = 0.995
    static_epochs: int = 300
    min_steps: int = 2000          # at least this many generator steps, whatever the epochs (small sets)
    static_min_steps: int = 1000   # the same for the static attributes' TabularGAN
    augment: bool = True           # DiffAugment-style scaling, shift and jitter of real and fake critic inputs
    guidance_weight: float = 1.0   # weight of the frozen real-series classifier's loss on fake series
    guidance_steps: int = 600      # training steps of that classifier
    output_noise: bool = True      # the generator adds per-step white noise of a learned scale
    roughness_weight: float = 1.0  # match the real batch's mean |second difference| per feature
    guide_shape: bool = False      # the guidance loss reads the series without its output noise: steadier
                                   # classes on the 150-step shape set at 2,000 steps, fewer at 700 (README)
    series_scale: str = "auto"     # "series": each series' midpoint and range are generated attributes
                                   # (DoppelGANger's auto-normalisation); "global": one range per feature;
                                   # "auto": "series" when a typical series spans < 1/4 of a feature's range
    privacy: dict | None = None    # {"epsilon", "delta"}: all that reads real series is DP (module docstring)
    static_privacy_share: float = 0.25   # under DP, the static attributes' model's share of epsilon
    guide_privacy_share: float = 0.25    # under DP, the guidance classifier's share of epsilon
    static_histogram: str = "auto"       # under DP, an all-discrete static table as a noisy count table
                                         # (synthgan.synthesizers.histogram): "auto" when its noise is
                                         # small, "always", or "never" (the DP TabularGAN)
    random_state: int | None = None
    device: str = "auto"
    verbose: bool = False

    def validate(self) -> None:
        check_common(self, ("epochs", "batch_size", "step_noise", "global_noise", "hidden", "layers",
                            "critic_channels", "d_steps", "static_epochs"),
                     non_negative=("gp_weight", "moment_weight", "guidance_weight", "roughness_weight"))
        if self.series_scale not in SCALES:
            raise ConfigError(f"series_scale: expected one of {', '.join(SCALES)}, got {self.series_scale!r}")
        if self.static_histogram not in HISTOGRAM:
            raise ConfigError(f"static_histogram: expected one of {', '.join(HISTOGRAM)}, got {self.static_histogram!r}")
        for name in ("min_steps", "static_min_steps", "guidance_steps"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0:
                raise ConfigError(f"{name}: expected a non-negative integer, got {v!r}")
        PrivacySpec.parse(self.privacy)
        for name in ("static_privacy_share", "guide_privacy_share"):
            share = getattr(self, name)
            if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share < 1:
                raise ConfigError(f"{name}: expected a number between 0 and 1 (exclusive), got {share!r}")
        if self.static_privacy_share + self.guide_privacy_share >= 1:
            raise ConfigError(f"static_privacy_share + guide_privacy_share: {self.static_privacy_share:g} + "
                              f"{self.guide_privacy_share:g} leaves no epsilon for the feature critic; keep the sum below 1")


class SeriesProblem:
    """The sequence half of a GAN fit (see :class:`~synthgan.train.loop.GANProblem`).

    Real rows are (B, T, F + 1): features scaled to [-1, 1] and zero after the end, then the mask.
    Besides the adversarial loss, the generator matches the real batch's per-step means and
    standard deviations (TimeGAN's moment loss), which steadies early training.
    """

    def __init__(self, values: torch.Tensor, mask: torch.Tensor, cond: torch.Tensor, cfg: TimeSeriesGANConfig,
                 np_rng: np.random.Generator, torch_rng: torch.Generator, codes: torch.Tensor | None = None,
                 guide: "SeriesClassifier | None" = None) -> None:
        self.values, self.mask, self.cond, self.cfg = values, mask, cond, cfg
        self.np_rng, self.rng = np_rng, torch_rng
        self.batch = min(cfg.batch_size, len(values))
        self.codes, self.guide = codes, guide

    def noise(self, b: int, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        dev = self.values.device
        return (torch.randn((b, t, self.cfg.step_noise), generator=self.rng, device=dev),
                torch.randn((b, self.cfg.global_noise), generator=self.rng, device=dev))

    def real_batch(self) -> Batch:
        idx = torch.as_tensor(self.np_rng.integers(len(self.values), size=self.batch), device=self.values.device)
        mask = self.mask[idx]
        return Batch(torch.cat([self.values[idx], mask[:, :, None]], dim=2), self.cond[idx], (mask, idx))

    def generate(self, generator, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """(fake rows for the critic, rows for the guidance loss): with ``guide_shape`` the guide reads
        the series without its output noise, so the class must come from the shape: the generator
        cannot pass the frozen classifier by shaping bursts of noise. (Reading the same noisy series
        with only the noise scale cut from the graph measured worse: label ratio 0.69 and 0.40 on the
        small shape set, against 0.82 and 0.94.)"""
        m = batch.extra[0][:, :, None]
        zs, zg = self.noise(*m.shape[:2])
        fake, shape = generator(zs, zg, batch.cond, with_shape=True)
        rows = torch.cat([fake * m, m], dim=2)
        return rows, (torch.cat([shape * m, m], dim=2) if self.cfg.guide_shape else rows)

    def generator_loss(self, aux, batch: Batch) -> torch.Tensor:
        """The moment and roughness losses, and the guidance loss: a classifier trained on real series (frozen) must
        recognise each fake series' discrete attributes (those it can tell from real series)."""
        cfg = self.cfg
        loss = self._moments if cfg.moment_weight > 0 or cfg.roughness_weight > 0 else \
            torch.zeros((), device=self.values.device)
        return loss + self._guidance(aux, batch)

    def _guidance(self, aux, batch: Batch) -> torch.Tensor:
        """The guidance loss: the frozen classifier must recognise each fake series' discrete
        attributes (``codes``, indexed by the batch's ``extra[1]``)."""
        if self.guide is None or self.cfg.guidance_weight <= 0:
            return torch.zeros((), device=self.values.device)
        return self.cfg.guidance_weight * self.guide.loss(aux.float(), self.codes[batch.extra[1]])

    def critic_input(self, rows: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        if self.cfg.augment and torch.is_grad_enabled():
            rows = augment(rows, self.rng)
        return torch.cat([rows.flatten(1), cond.to(rows.dtype)], dim=1)

    def moment_loss(self, fake: torch.Tensor, real: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        n = mask.sum(0).clamp_min(1.0)[:, None]                                  # (T, 1)
        mf, mr = fake.sum(0) / n, real.sum(0) / n
        sf = ((fake - mf) ** 2 * mask[:, :, None]).sum(0).div(n).add(1e-6).sqrt()
        sr = ((real - mr) ** 2 * mask[:, :, None]).sum(0).div(n).add(1e-6).sqrt()
        loss = self.cfg.moment_weight * ((mf - mr).abs().mean() + (sf - sr).abs().mean())
        if self.cfg.roughness_weight > 0 and fake.shape[1] > 2:
            # texture: the mean |second difference| per feature over valid steps (noise, not shape)
            m2 = (mask[:, 2:] * mask[:, 1:-1] * mask[:, :-2])[:, :, None]
            n2 = m2.sum((0, 1)).clamp_min(1.0)
            rf = ((fake[:, 2:] - 2 * fake[:, 1:-1] + fake[:, :-2]).abs() * m2).sum((0, 1)) / n2
            rr = ((real[:, 2:] - 2 * real[:, 1:-1] + real[:, :-2]).abs() * m2).sum((0, 1)) / n2
            loss = loss + self.cfg.roughness_weight * (rf - rr).abs().mean()
        return loss


def _fit_private_guide(net: "SeriesClassifier", opt: torch.optim.Optimizer, rows: torch.Tensor, codes: torch.Tensor,
                       rng: np.random.Generator, gen: torch.Generator, dp: dict) -> None:
    """DP-SGD for the guidance classifier (Opacus, as for the critics): Poisson batches of series,
    each series' cross-entropy its own per-sample loss, clipped, summed and noised by the
    DPOptimizer (noise seeded by ``gen``). An empty batch is skipped (post-processing: it spends
    nothing more than the accountant counts)."""
    from opacus import GradSampleModule
    model = GradSampleModule(net, loss_reduction="sum")
    n = len(rows)
    opt = private.dp_optimizer(opt, dp["noise_multiplier"], dp["max_grad_norm"], max(1, round(dp["sample_rate"] * n)),
                               gen)
    ce = torch.nn.functional.cross_entropy
    for _ in range(dp["steps"]):
        i = np.flatnonzero(rng.random(n) < dp["sample_rate"])
        if not len(i):
            continue
        idx = torch.as_tensor(i, device=rows.device)
        opt.zero_grad(set_to_none=True)
        outs = model(augment(rows[idx], gen))
        private.backward(sum(ce(out, codes[idx, k], ignore_index=-1, reduction="sum") for k, out in enumerate(outs))
                         / len(outs))
        opt.step()
    model.remove_hooks()
    model.del_grad_sample()


def augment(rows: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """DiffAugment for series (Zhao et al., 2020): the same random, differentiable changes to real and
    fake critic inputs, so a critic trained on few series cannot memorise them: per series and
    feature a scale in [0.9, 1.1] and a shift of sd 0.03, and per step a jitter of sd 0.01; the
    validity mask (last channel) is kept and re-applied."""
    x, mask = rows[:, :, :-1], rows[:, :, -1:]
    b, _, f = x.shape
    dev = rows.device
    scale = 0.9 + 0.2 * torch.rand((b, 1, f), generator=gen, device=dev)
    shift = 0.03 * torch.randn((b, 1, f), generator=gen, device=dev)
    jitter = 0.01 * torch.randn(x.shape, generator=gen, device=dev)
    return torch.cat([(x * scale + shift + jitter) * mask, mask], dim=2)


class SeriesClassifier(torch.nn.Module):
    """A small convolutional classifier of series (features and mask channels) into the codes of
    one or more discrete attributes: masked mean and max pooling of dilated convolutions, one
    linear head per attribute."""

    def __init__(self, n_in: int, classes: list[int], channels: int = 32) -> None:
        super().__init__()
        nn = torch.nn
        self.conv = nn.Sequential(nn.Conv1d(n_in, channels, 5, padding=2), nn.LeakyReLU(0.2),
                                  nn.Conv1d(channels, channels, 5, padding=4, dilation=2), nn.LeakyReLU(0.2),
                                  nn.Conv1d(channels, channels, 5, padding=8, dilation=4), nn.LeakyReLU(0.2))
        self.heads = nn.ModuleList(nn.Linear(2 * channels, k) for k in classes)

    def forward(self, rows: torch.Tensor) -> list[torch.Tensor]:
        mask = rows[:, :, -1:].transpose(1, 2)                                     # (B, 1, T)
        h = self.conv(rows.transpose(1, 2))
        mean = (h * mask).sum(2) / mask.sum(2).clamp_min(1.0)
        top = h.masked_fill(mask == 0, -1e4).amax(2)
        z = torch.cat([mean, top], 1)
        return [head(z) for head in self.heads]

    def loss(self, rows: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy over the attributes (code -1, a null, is ignored)."""
        ce = torch.nn.functional.cross_entropy
        return sum(ce(out, codes[:, k], ignore_index=-1) for k, out in enumerate(self(rows))) / len(self.heads)

class _MomentProblem(SeriesProblem):
    """Computes the moment loss in ``generate`` (where the fake batch is) for ``generator_loss``."""

    def generate(self, generator, batch: Batch):
        out, aux = super().generate(generator, batch)
        self._moments = self.moment_loss(out[:, :, :-1].float(), batch.real[:, :, :-1], batch.extra[0])
        return out, aux


class PrivateSeriesProblem(SeriesProblem):
    """The problem of a DP fit (:mod:`synthgan.train.private`): real batches are Poisson samples of
    series (each with probability ``sample_rate``), each under its own attributes; the generator's
    batches take attributes and lengths from ``pool`` (conditions, masks and the guided attributes'
    codes of rows drawn from the DP-trained static model, never from real series); the guidance
    classifier, when there is one, was trained with DP-SGD too; the moment and roughness losses,
    which read real batches, are off."""

    def __init__(self, values: torch.Tensor, mask: torch.Tensor, cond: torch.Tensor, cfg: TimeSeriesGANConfig,
                 np_rng: np.random.Generator, torch_rng: torch.Generator, sample_rate: float,
                 pool: tuple[torch.Tensor, torch.Tensor, torch.Tensor | None],
                 guide: "SeriesClassifier | None" = None) -> None:
        super().__init__(values, mask, cond, cfg, np_rng, torch_rng, pool[2], guide)
        self.sample_rate, (self.pool_cond, self.pool_mask) = float(sample_rate), pool[:2]

    def real_batch(self) -> Batch:
        rows = np.flatnonzero(self.np_rng.random(len(self.values)) < self.sample_rate)
        idx = torch.as_tensor(rows, device=self.values.device)
        mask = self.mask[idx]
        return Batch(torch.cat([self.values[idx], mask[:, :, None]], dim=2), self.cond[idx], (mask, idx))

    def public_batch(self) -> Batch:
        idx = torch.as_tensor(self.np_rng.integers(len(self.pool_cond), size=self.batch), device=self.values.device)
        return Batch(torch.empty((0,), device=self.values.device), self.pool_cond[idx], (self.pool_mask[idx], idx))

    def generator_loss(self, aux, batch: Batch) -> torch.Tensor:
        return self._guidance(aux, batch)


class TimeSeriesGAN:
    """Conditional GAN for long-format time series; same verbs as :class:`TabularGAN`."""

    def __init__(self, **hyperparameters: Any) -> None:
        check_known(TimeSeriesGANConfig, hyperparameters)
        self.config = TimeSeriesGANConfig(**hyperparameters)
        self.config.validate()          # bad values fail here, so a request's preflight catches them

    # ------------------------------------------------------------------ fit
    def fit(self, data: pd.DataFrame, entity: str, time: str, static: Sequence[str] | None = None,
            features: Sequence[str] | None = None) -> "TimeSeriesGAN":
        """Learn series from the long-format ``data`` (one row per entity and time step)."""
        cfg = self.config
        cfg.validate()
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"fit expects a pandas DataFrame, got {type(data).__name__}")
        series = read_series(data, entity, time, features, static)
        if len(series.lengths) < MIN_SERIES:
            raise DataError(f"data has {len(series.lengths)} series; TimeSeriesGAN needs at least {MIN_SERIES}")
        seed = cfg.random_state if cfg.random_state is not None else int(np.random.SeedSequence().entropy % 2**63)
        s_static, s_init, s_train, s_sample = np.random.SeedSequence(seed).spawn(4)
        self.device_, self.seed_, self.series_ = resolve_device(cfg.device), seed, series
        t0 = _time.perf_counter()
        self._scale_from(series)
        static_table = self._static_table(series.static, series.lengths)
        if self.scale_mode_ == "series":
            static_table = static_table.assign(**self._series_scale_columns(series))
        privacy = PrivacySpec.parse(cfg.privacy)
        static_gan = self._static_model(static_table, privacy, int(s_static.generate_state(1)[0]))
        plan = self._privacy_plan(privacy, len(series.lengths), static_gan, static_table) if privacy else None
        self.static_gan_ = None if static_gan is None else \
            static_gan.fit(static_table, schema=self._static_schema(static_table))
        cond = self._encode_static(static_table, np.random.default_rng(s_static))
        self._train(series, cond, s_init, distributed.rank_seed(s_train), static_table, plan)
        self._sample_seq_ = s_sample
        self.train_seconds_ = _time.perf_counter() - t0
        return self

    def _static_model(self, table: pd.DataFrame, privacy: PrivacySpec | None, seed: int
                      ) -> TabularGAN | DiscreteHistogram | None:
        """The (unfitted) model of the static attributes; None when there are none. Without DP, a
        TabularGAN. Under DP it gets ``static_privacy_share`` of epsilon: a noisy count table when
        every attribute is discrete and ``static_histogram`` says so ("auto": when the noise summed
        over all cells is expected to stay within MAX_NOISE_SHARE of the series); else a DP
        TabularGAN on the series' batch size (small Poisson batches spend less of a budget than
        the tabular default of 500)."""
        cfg = self.config
        if not table.shape[1]:
            return None
        batch = min(cfg.batch_size if privacy else 500, len(table))
        budget = None if privacy is None else {**privacy.to_dict(), "epsilon": privacy.epsilon * cfg.static_privacy_share}
        if privacy is not None and cfg.static_histogram != "never":
            schema = self._static_schema(table)
            if DiscreteHistogram.applies(schema):
                histogram = DiscreteHistogram(budget, seed)
                if cfg.static_histogram == "always":
                    return histogram
                try:
                    sigma = histogram.privacy_plan(len(table))["noise_multiplier"]
                except ConfigError:
                    sigma = None                      # the DP TabularGAN says why, or manages
                if sigma is not None and DiscreteHistogram.cells(table, schema) * sigma * np.sqrt(2 / np.pi) \
                        <= MAX_NOISE_SHARE * len(table):
                    return histogram
            elif cfg.static_histogram == "always":
                raise ConfigError(f"static_histogram: 'always' needs discrete static attributes only; "
                                  f"{[c.name for c in schema.columns if not c.kind.is_discrete]} are not "
                                  "(per-series scaling adds each series' midpoints and ranges: series_scale 'global' "
                                  "drops them)")
        return TabularGAN(epochs=cfg.static_epochs, min_steps=cfg.static_min_steps, batch_size=batch,
                          random_state=seed, device=cfg.device, verbose=False, privacy=budget)

    def _schedule(self, n_series: int) -> tuple[int, int, int]:
        """(batch, epochs, steps per epoch) of the feature GAN: at least ``min_steps`` generator
        steps (50 series are one batch per epoch)."""
        batch = min(self.config.batch_size, n_series)
        per_epoch = max(n_series // batch, 1)
        return batch, max(self.config.epochs, -(-self.config.min_steps // per_epoch)), per_epoch

    def _privacy_plan(self, privacy: PrivacySpec, n_series: int, static_gan: TabularGAN | DiscreteHistogram | None,
                      table: pd.DataFrame) -> dict:
        """The DP-SGD plan of every network that reads real series, made before any training (an
        impossible budget is a ConfigError here, naming the part): the static model spends
        ``static_privacy_share`` of epsilon on its own; the guidance classifier (with discrete
        attributes and guidance on) the least noise that keeps both within the two shares; the
        feature critic the least noise that keeps all three, composed in the accountant, within the
        whole budget. The privacy unit is one series: its static row and all its steps."""
        cfg = self.config
        before, guide = [], None
        if static_gan is not None:
            try:
                sp = static_gan.privacy_plan(n_series)
            except ConfigError as e:
                if isinstance(static_gan, DiscreteHistogram):
                    raise ConfigError(f"{e}, on static_privacy_share {cfg.static_privacy_share:g} of epsilon "
                                      f"{privacy.epsilon:g}: raise the share") from None
                raise ConfigError(f"{e} (this is the static attributes' model, on static_privacy_share "
                                  f"{cfg.static_privacy_share:g} of epsilon {privacy.epsilon:g}: raise the share, "
                                  "or lower static_epochs / static_min_steps)") from None
            before = [(sp["noise_multiplier"], sp["sample_rate"], sp["steps"])]
            if cfg.guidance_weight > 0 and cfg.guidance_steps > 0 and \
                    self._guide_columns(table, self._static_schema(table)):
                rate = min(GUIDE_BATCH, n_series) / n_series
                shares = cfg.static_privacy_share + cfg.guide_privacy_share
                try:
                    sigma = private.noise_for(PrivacySpec(**{**privacy.to_dict(), "epsilon": privacy.epsilon * shares}),
                                              n_series, rate, cfg.guidance_steps, before)
                except ConfigError as e:
                    raise ConfigError(f"{e} (this is the guidance classifier, on guide_privacy_share "
                                      f"{cfg.guide_privacy_share:g} of epsilon {privacy.epsilon:g}: raise the share, "
                                      "lower guidance_steps, or set guidance_weight 0)") from None
                guide = {"noise_multiplier": sigma, "sample_rate": rate, "steps": cfg.guidance_steps,
                         "max_grad_norm": privacy.max_grad_norm}
                before = before + [(sigma, rate, cfg.guidance_steps)]
        batch, epochs, per_epoch = self._schedule(n_series)
        steps, rate = epochs * per_epoch * cfg.d_steps, batch / n_series
        return {"spec": privacy, "sample_rate": rate, "steps": steps, "before": before, "guide": guide,
                "noise_multiplier": private.noise_for(privacy, n_series, rate, steps, before)}

    @staticmethod
    def _static_schema(table: pd.DataFrame):
        """The static table's schema; a length with few distinct values (<= 64) is categorical, so
        its exact distribution is learned (as a number it piled up at the shortest and longest)."""
        from synthgan.schema import infer_schema
        few = LENGTH in table and table[LENGTH].nunique() <= 64
        return infer_schema(table, overrides={LENGTH: "categorical"} if few else None)

    @staticmethod
    def _static_table(static: pd.DataFrame, lengths: np.ndarray) -> pd.DataFrame:
        table = static.copy()
        if len(np.unique(lengths)) > 1:
            table[LENGTH] = lengths.astype(np.int64)
        return table

    def _scale_from(self, series: SeriesData) -> None:
        """The global range per feature, and the scaling mode: ``auto`` scales per series when, for
        some feature, the median series spans less than a quarter of the feature's whole range
        (series of different levels or sizes: one global range would squeeze most of them)."""
        valid = np.arange(series.max_len)[None, :] < series.lengths[:, None]
        flat = series.values[valid]                                                 # (valid steps, F)
        self.lo_, self.hi_ = flat.min(0).astype(np.float64), flat.max(0).astype(np.float64)
        self.hi_ = np.where(self.hi_ > self.lo_, self.hi_, self.lo_ + 1.0)
        self.unit_ = UNIT
        mode = self.config.series_scale
        if mode == "auto":
            lo, hi = self._series_range(series.values, series.lengths)
            mode = "series" if (np.median(hi - lo, axis=0) < 0.25 * (self.hi_ - self.lo_)).any() else "global"
        self.scale_mode_ = mode

    @staticmethod
    def _series_range(values: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        valid = (np.arange(values.shape[1])[None, :] < lengths[:, None])[:, :, None]
        return np.where(valid, values, np.inf).min(1), np.where(valid, values, -np.inf).max(1)   # (N, F) each

    def _series_scale_columns(self, series: SeriesData) -> dict[str, np.ndarray]:
        """Each series' midpoint and log half-range per feature, learned with the static attributes."""
        lo, hi = self._series_range(series.values, series.lengths)
        floor = 1e-6 * (self.hi_ - self.lo_)
        cols = {}
        for i in range(lo.shape[1]):
            cols[MID.format(i)] = (hi[:, i] + lo[:, i]) / 2.0
            cols[LOG_HALF.format(i)] = np.log(np.maximum((hi[:, i] - lo[:, i]) / 2.0, floor[i]))
        return cols

    def _split_scale(self, static: pd.DataFrame, n_features: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """(attributes without the scale columns, midpoints (N, F), half-ranges (N, F))."""
        mids = [MID.format(i) for i in range(n_features)]
        halves = [LOG_HALF.format(i) for i in range(n_features)]
        mid = static[mids].to_numpy(np.float64)
        half = np.exp(static[halves].to_numpy(np.float64))
        return static.drop(columns=mids + halves), mid, half

    def _scaled(self, values: np.ndarray, lengths: np.ndarray, mid: np.ndarray | None = None,
                half: np.ndarray | None = None) -> np.ndarray:
        if mid is None:
            x = self.unit_ * (2.0 * (values - self.lo_) / (self.hi_ - self.lo_) - 1.0)
        else:
            x = self.unit_ * np.clip((values - mid[:, None, :]) / half[:, None, :], -1.0, 1.0)
        return (x * (np.arange(values.shape[1])[None, :, None] < lengths[:, None, None])).astype(np.float32)

    def _encode_static(self, table: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        """The condition of the feature generator: the static row as the tabular GAN encodes it."""
        if self.static_gan_ is None:
            return np.zeros((len(table), 0), dtype=np.float32)
        gan = self.static_gan_
        if isinstance(gan, DiscreteHistogram):
            return gan.dense(table, rng)
        enc = gan.transformer_.transform(table[gan.transformer_.schema_.names], rng)
        dense = gan._ops.dense(torch.as_tensor(enc.alphas, device=gan.device_),
                               torch.as_tensor(enc.codes, device=gan.device_))
        return dense.float().cpu().numpy()

    @staticmethod
    def _guide_columns(table: pd.DataFrame, schema) -> list[str]:
        """The static table's discrete attributes (not the length or scale columns)."""
        kinds = {c.name: c.kind for c in schema.columns}
        return [c for c in table.columns if not c.startswith("__") and c in kinds and kinds[c].is_discrete]

    @staticmethod
    def _attribute_codes(table: pd.DataFrame, cols: list[str], categories: list | None = None
                         ) -> tuple[np.ndarray, list]:
        """(codes (N, K), each column's categories); a null (or, with ``categories``, an unknown
        value) is code -1."""
        cats = [pd.Categorical(table[c].astype(object).where(table[c].notna(), None),
                               categories=None if categories is None else categories[k]) for k, c in enumerate(cols)]
        return np.stack([c.codes for c in cats], 1).astype(np.int64), [c.categories for c in cats]

    def _guide(self, values: torch.Tensor, mask: torch.Tensor, table: pd.DataFrame, seed: int,
               dp: dict | None = None) -> tuple[torch.Tensor | None, SeriesClassifier | None]:
        """The frozen classifier of the guidance loss, trained on real series for the discrete
        attributes it can tell from the series: each attribute's validation accuracy (a seeded 25%
        of the series) must beat always guessing its most common value by 0.1 and by two standard
        errors. None when no attribute qualifies (or guidance is off).

        Under DP (``dp``: its plan) it is trained with DP-SGD on Poisson batches of all series and
        guides every discrete attribute: a choice made on held-out series would be a statistic of
        real series outside the budget."""
        cfg = self.config
        if self.static_gan_ is None or cfg.guidance_weight <= 0 or cfg.guidance_steps == 0:
            return None, None
        cols = self._guide_columns(table, self.static_gan_.schema_)
        if not cols:
            return None, None
        codes_np, cats = self._attribute_codes(table, cols)
        codes = torch.as_tensor(codes_np, device=values.device)
        rows = torch.cat([values, mask[:, :, None]], 2)
        rng = np.random.default_rng(seed)
        gen = torch.Generator(device=values.device).manual_seed(seed)
        net = build_seeded(lambda: SeriesClassifier(rows.shape[2], [len(c) for c in cats]),
                           torch.Generator().manual_seed(seed), values.device)
        opt = torch.optim.Adam(net.parameters(), lr=2e-3, weight_decay=1e-4)
        if dp is not None:
            _fit_private_guide(net, opt, rows, codes, rng, gen, dp)
            net.eval().requires_grad_(False)
            self.guided_ = {c: True for c in cols}
            self._guide_categories = (cols, cats)
            return codes, net
        order = rng.permutation(len(rows))
        n_val = max(len(rows) // 4, 1)
        val, fit = order[:n_val], order[n_val:]
        for _ in range(cfg.guidance_steps):
            i = torch.as_tensor(rng.choice(fit, min(64, len(fit))), device=values.device)
            opt.zero_grad(set_to_none=True)
            net.loss(augment(rows[i], gen), codes[i]).backward()
            opt.step()
        net.eval().requires_grad_(False)
        with torch.no_grad():
            outs = net(rows[torch.as_tensor(val, device=values.device)])
        keep = []
        for k, out in enumerate(outs):
            truth = codes[val, k].cpu().numpy()
            known = truth >= 0
            if not known.any():
                continue
            acc = float((out.argmax(1).cpu().numpy()[known] == truth[known]).mean())
            majority = float(np.bincount(truth[known]).max() / known.sum())
            # clearly better than guessing: by 0.1 and by two standard errors of the guess's accuracy
            if acc >= majority + max(0.1, 2.0 * np.sqrt(majority * (1 - majority) / known.sum())):
                keep.append(k)
        self.guided_ = {cols[k]: True for k in keep}
        if not keep:
            return None, None
        net.heads = torch.nn.ModuleList(net.heads[k] for k in keep)
        return codes[:, keep], net

    def _train(self, series: SeriesData, cond: np.ndarray, s_init, s_train, table: pd.DataFrame | None = None,
               plan: dict | None = None) -> None:
        cfg, dev = self.config, self.device_
        n_feat, t = series.values.shape[2], series.max_len
        self.cond_dim_ = cond.shape[1]
        init = torch.Generator().manual_seed(int(s_init.generate_state(1)[0]))
        self.generator_ = build_seeded(lambda: SequenceGenerator(cfg.step_noise, cfg.global_noise, self.cond_dim_,
                                                                 n_feat, cfg.hidden, cfg.layers, cfg.output_noise),
                                       init, dev)
        critic = build_seeded(lambda: SequenceCritic(t, n_feat, self.cond_dim_, cfg.critic_channels), init, dev)
        torch_rng = torch.Generator(device=dev).manual_seed(int(s_train.generate_state(1)[0]))
        mask = np.arange(t)[None, :] < series.lengths[:, None]
        mid = half = None
        if self.scale_mode_ == "series":
            _, mid, half = self._split_scale(table, n_feat)
        values = torch.as_tensor(self._scaled(series.values, series.lengths, mid, half), device=dev)
        mask_t = torch.as_tensor(mask, dtype=torch.float32, device=dev)
        self.guided_ = {}
        cond_t, np_rng = torch.as_tensor(cond, device=dev), np.random.default_rng(s_train)
        if plan:
            guide = None
            if plan["guide"] is not None:
                _, guide = self._guide(values, mask_t, table, int(s_init.generate_state(2)[1]), plan["guide"])
            static, lengths, pool_cond = self._static_draw(PUBLIC_POOL, None, int(s_init.generate_state(3)[2]),
                                                           np.random.default_rng(s_init))
            pool_codes = None if guide is None else \
                torch.as_tensor(self._attribute_codes(static, *self._guide_categories)[0], device=dev)
            problem = PrivateSeriesProblem(values, mask_t, cond_t, cfg, np_rng, torch_rng, plan["sample_rate"],
                                           (torch.as_tensor(pool_cond, device=dev),
                                            torch.as_tensor(np.arange(t)[None, :] < lengths[:, None],
                                                            dtype=torch.float32, device=dev), pool_codes), guide)
        else:
            codes, guide = (None, None) if table is None else \
                self._guide(values, mask_t, table, int(s_init.generate_state(2)[1]))
            problem = _MomentProblem(values, mask_t, cond_t, cfg, np_rng, torch_rng, codes, guide)
        _, epochs, steps_per_epoch = self._schedule(len(mask))
        tc = TrainConfig(epochs=epochs, steps_per_epoch=steps_per_epoch, lr_g=cfg.lr_g,
                         lr_d=cfg.lr_d, d_steps=cfg.d_steps, gp_weight=cfg.gp_weight, gp_fraction=1.0, pac=1,
                         ema_decay=cfg.ema_decay, verbose=cfg.verbose)
        if plan:
            trainer = private.PrivateCriticTrainer(self.generator_, critic, problem, tc, dev, torch_rng,
                                                   plan["noise_multiplier"], plan["spec"].max_grad_norm, problem.batch)
        else:
            trainer = AdversarialTrainer(self.generator_, critic, problem, tc, dev, torch_rng)
        self.history_ = trainer.fit()
        self.generator_ = trainer.ema
        self.privacy_spent_ = None if not plan else self._spent(plan, trainer.critic_steps)

    def _spent(self, plan: dict, steps: int) -> dict:
        """What the DP trainings (static model, guide, feature critic) spent, composed by the
        accountant; the static model's figures are also under ``static``, the guide's under ``guide``."""
        spec = plan["spec"]
        static, guide = None if self.static_gan_ is None else self.static_gan_.privacy_spent_, plan["guide"]
        history = [(part["noise_multiplier"], part["sample_rate"], part["steps"]) for part in (static, guide) if part] + \
            [(plan["noise_multiplier"], plan["sample_rate"], steps)]
        return {"epsilon": private.spent(spec, history), "delta": spec.delta, "accountant": spec.accountant,
                "target_epsilon": spec.epsilon, "noise_multiplier": plan["noise_multiplier"],
                "max_grad_norm": spec.max_grad_norm, "sample_rate": plan["sample_rate"], "steps": steps,
                "metadata": private.METADATA, "static": static, "guide": guide}

    # --------------------------------------------------------------- sample
    def sample(self, n_series: int, conditions: Mapping[str, Any] | None = None,
               random_state: int | None = None) -> pd.DataFrame:
        """``n_series`` series in the real long format; static ``conditions`` hold exactly."""
        if not hasattr(self, "generator_"):
            raise NotFittedError("this TimeSeriesGAN is not fitted: call fit(...) or TimeSeriesGAN.load(folder)")
        if not isinstance(n_series, (int, np.integer)) or isinstance(n_series, bool) or n_series < 0:
            raise ConfigError(f"n_series: expected a non-negative integer, got {n_series!r}")
        s = self.series_
        seq = np.random.SeedSequence(random_state) if random_state is not None else self._sample_seq_.spawn(1)[0]
        s_static, s_cond, s_noise = seq.spawn(3)
        static, lengths, cond = self._static_draw(n_series, conditions, int(s_static.generate_state(1)[0]),
                                                  np.random.default_rng(s_cond))
        cond = torch.as_tensor(cond, device=self.device_)
        gen = torch.Generator(device=self.device_).manual_seed(int(s_noise.generate_state(1)[0]))
        with torch.no_grad():
            zs = torch.randn((n_series, s.max_len, self.config.step_noise), generator=gen, device=self.device_)
            zg = torch.randn((n_series, self.config.global_noise), generator=gen, device=self.device_)
            x = self.generator_(zs, zg, cond).float().cpu().numpy() if n_series else \
                np.zeros((0, s.max_len, len(s.features)), np.float32)
        if self.scale_mode_ == "series":
            static, mid, half = self._split_scale(static, len(s.features))
            values = x / self.unit_ * half[:, None, :] + mid[:, None, :]
        else:
            values = (x / self.unit_ + 1.0) / 2.0 * (self.hi_ - self.lo_) + self.lo_
        return self._long(values, lengths, static)

    def _static_draw(self, n: int, conditions, seed: int, rng: np.random.Generator
                     ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """``n`` static rows drawn from the static model: (attributes, lengths, encoded conditions)."""
        max_len = self.series_.max_len
        static = self._sample_static(n, conditions, seed)
        lengths = static.pop(LENGTH).clip(2, max_len).to_numpy() if LENGTH in static else np.full(n, max_len)
        table = static.assign(**{LENGTH: lengths}) if self.static_gan_ is not None and \
            LENGTH in self.static_gan_.schema_.names else static
        return static, lengths, self._encode_static(table, rng)

    def _sample_static(self, n: int, conditions, seed: int) -> pd.DataFrame:
        if conditions and not len(self.series_.static.columns):
            raise ConfigError("this model has no static attributes to condition on")
        if self.static_gan_ is None:
            return pd.DataFrame(index=range(n))
        return self.static_gan_.sample(n, conditions=conditions, random_state=seed)

    def _long(self, values: np.ndarray, lengths: np.ndarray, static: pd.DataFrame) -> pd.DataFrame:
        s = self.series_
        n = len(values)
        mask = np.arange(s.max_len)[None, :] < lengths[:, None]
        series, step = np.nonzero(mask)
        ids = series.astype(np.int64) if np.issubdtype(s.entities.dtype, np.integer) else \
            np.array([f"syn-{i:06d}" for i in series], dtype=object)
        t = s.time_start + step * s.time_step
        times = pd.to_datetime(t, unit="s") if s.time_kind == "datetime" else \
            (t.astype(np.int64) if float(s.time_step).is_integer() and float(s.time_start).is_integer() else t)
        out = pd.DataFrame({s.entity: ids, s.time: times})
        for i, name in enumerate(s.features):
            out[name] = values[series, step, i]
        for col in static.columns:
            out[col] = static[col].to_numpy()[series]
        return out if n else out.iloc[:0]

    # ---------------------------------------------------------- persistence
    def save(self, directory: str | Path) -> Path:
        from synthgan.synthesizers.timeseries_io import save_series_model
        if not hasattr(self, "generator_"):
            raise NotFittedError("this TimeSeriesGAN is not fitted")
        return save_series_model(self, Path(directory))

    @classmethod
    def load(cls, directory: str | Path, device: str = "auto") -> "TimeSeriesGAN":
        from synthgan.synthesizers.timeseries_io import load_series_model
        return load_series_model(cls, Path(directory), device)

    def config_dict(self) -> dict:
        return asdict(self.config)

