"""TimeSeriesGAN: synthetic long-format time series conditioned on static attributes.

A DoppelGANger-style split: the static attributes of a series, with its length when lengths vary,
are one table learned by a :class:`TabularGAN` (so conditions on them are exact and mixed types,
nulls and rare levels are handled as for tables); a convolutional feature generator, conditioned on
the encoded attributes, writes every time step at once, coarse to fine (no recurrence: a training
step is cheap on a CPU). The critic reads the series, their validity mask and the attributes by
projection; it is spectrally normalised and trained with the hinge loss. Both train with the shared
adversarial loop. The design was chosen by an ablation (docs/benchmarks.md, "Time series").

For scarce data (tens of series): the budget is at least ``min_steps`` generator steps whatever
the epochs (50 series are one batch an epoch); the critic sees real and fake series through the
same random, differentiable augmentation (DiffAugment: scale, shift, jitter), so it cannot simply
memorise the few real ones; and the generator matches the real batch's per-step means and
deviations and its texture (mean absolute second difference), ``moment_weight``.

Scale: values map into [-0.9, 0.9] so tanh reaches the real extremes; series of very different
sizes or levels are scaled one by one, their midpoints and ranges learned as attributes
(DoppelGANger's auto-normalisation; ``series_scale``).

Differential privacy (``privacy={"epsilon", "delta"}``; the privacy unit is one series, its static
row and all its steps): the static attributes spend ``static_privacy_share`` of epsilon, as a noisy
count table when they are all discrete and few enough (:mod:`~synthgan.synthesizers.timeseries.histogram`,
``static_histogram``), else as a TabularGAN whose critic trains with DP-SGD (see
:mod:`synthgan.train.private`); the feature critic (without spectral norm, with the gradient
penalty: Opacus computes per-sample gradients of plain layers) trains with DP-SGD on Poisson
batches of series, its noise the least whose composition with the static part, in Opacus'
accountant, stays within the budget. The feature generator is conditioned on attributes and
lengths drawn from the DP static model, never on real series. The moment loss, which reads real
batches, is off under DP; the global value ranges, the scaling mode and the series' length and
time grid are public metadata, as the tabular transformer's statistics are.
"""

from __future__ import annotations

import time as _time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from synthgan.errors import ConfigError, DataError
from synthgan.ingest.timeseries import SeriesData, read_series
from synthgan.models.common import build_seeded
from synthgan.synthesizers import base
from synthgan.synthesizers.base import Settings, Synthesizer
from synthgan.synthesizers.tabular.model import privacy_setting
from synthgan.synthesizers.timeseries.nets import critic_for, generator_for
from synthgan.synthesizers.timeseries.problem import PrivateSeriesProblem, SeriesProblem
from synthgan.synthesizers.timeseries.scaling import UNIT, scale_columns, scale_of, scaled, split_scale
from synthgan.synthesizers.timeseries.static import (LENGTH, privacy_plan, schedule, static_model, static_schema,
                                                     static_table)
from synthgan.train import distributed, private
from synthgan.train.device import resolve_device
from synthgan.train.loop import AdversarialTrainer
from synthgan.train.private import PrivacySpec

MIN_SERIES = 10
PUBLIC_POOL = 4096   # under DP: static rows drawn from the DP static model, the generator's conditions


class TimeSeriesGAN(Synthesizer):
    """Conditional GAN for long-format time series; same verbs as :class:`~synthgan.TabularGAN`.

    The constructor stores its settings; ``fit`` checks them. Learned state ends in ``_``.

    Parameters
    ----------
    epochs : int
        Passes over the series (at least ``min_steps`` generator steps are taken anyway).
    batch_size : int
        Series per batch (shrunk to the data).
    step_noise, global_noise : int
        Sizes of the generator's per-step and per-series noise.
    hidden : int
        Channels of the convolutional feature generator.
    critic_channels : int
        Channels of the critic's convolutions.
    lr_g, lr_d : float
        Adam learning rates of the generator and the critic.
    d_steps : int
        Critic updates per generator update.
    moment_weight : float
        Weight of the loss matching the real batch's per-step means and deviations (TimeGAN's
        moment loss) and its mean absolute second difference per feature (texture).
    ema_decay : float
        Decay of the generator's exponential moving average (the sampling copy), in [0, 1).
    static_epochs, static_min_steps : int
        The budget of the static attributes' TabularGAN.
    min_steps : int
        At least this many generator steps, whatever the epochs (small sets).
    augment : bool
        DiffAugment of real and fake critic inputs (scale, shift, jitter).
    series_scale : {"auto", "global", "series"}
        One range per feature, each series its own midpoint and range, or "series" when a typical
        series spans less than a quarter of a feature's range.
    privacy : dict, optional
        ``{"epsilon", "delta"}``: everything that reads real series is trained with DP.
    static_privacy_share : float
        Under DP, the static attributes' share of epsilon.
    static_histogram : {"auto", "always", "never"}
        Under DP, all-discrete static attributes as a noisy count table.
    random_state : int, optional
        Seed of everything the fit draws.
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"mps"``.
    verbose : bool
        Show a progress bar while training.
    """

    _checks = {
        "step_noise": base.positive_int, "global_noise": base.positive_int, "hidden": base.positive_int,
        "critic_channels": base.positive_int, "static_epochs": base.positive_int,
        "moment_weight": base.non_negative, "series_scale": base.one_of("auto", "global", "series"),
        "static_histogram": base.one_of("auto", "always", "never"), "min_steps": base.non_negative_int,
        "static_min_steps": base.non_negative_int, "privacy": privacy_setting, "static_privacy_share": base.share,
    }

    def __init__(self, *, epochs: int = 300, batch_size: int = 128, step_noise: int = 8, global_noise: int = 16,
                 hidden: int = 32, critic_channels: int = 32, lr_g: float = 5e-4, lr_d: float = 5e-4,
                 d_steps: int = 1, moment_weight: float = 1.0, ema_decay: float = 0.995, static_epochs: int = 300,
                 min_steps: int = 4000, static_min_steps: int = 1000, augment: bool = True,
                 series_scale: str = "auto", privacy: dict | None = None, static_privacy_share: float = 0.25,
                 static_histogram: str = "auto", random_state: int | None = None, device: str = "auto",
                 verbose: bool = False) -> None:
        self.epochs, self.batch_size, self.step_noise, self.global_noise = epochs, batch_size, step_noise, global_noise
        self.hidden, self.critic_channels, self.lr_g, self.lr_d = hidden, critic_channels, lr_g, lr_d
        self.d_steps, self.moment_weight, self.ema_decay = d_steps, moment_weight, ema_decay
        self.static_epochs, self.min_steps, self.static_min_steps = static_epochs, min_steps, static_min_steps
        self.augment, self.series_scale, self.privacy = augment, series_scale, privacy
        self.static_privacy_share, self.static_histogram = static_privacy_share, static_histogram
        self.random_state, self.device, self.verbose = random_state, device, verbose

    # ------------------------------------------------------------------ fit
    def fit(self, data: pd.DataFrame, entity: str, time: str, static: Sequence[str] | None = None,
            features: Sequence[str] | None = None) -> "TimeSeriesGAN":
        """Learn series from the long-format ``data`` (one row per entity and time step).

        Parameters
        ----------
        data : DataFrame
            One row per entity and time step.
        entity, time : str
            The columns naming each series and ordering its steps (integers or datetimes).
        static : sequence of str, optional
            Columns constant within a series (its attributes; conditions work on them).
        features : sequence of str, optional
            The numeric columns that change over time (all other numeric columns when absent).

        Returns
        -------
        TimeSeriesGAN
            ``self``, fitted.
        """
        cfg = self.settings_ = self.validate_params()
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"fit expects a pandas DataFrame, got {type(data).__name__}")
        series = read_series(data, entity, time, features, static)
        if len(series.lengths) < MIN_SERIES:
            raise DataError(f"data has {len(series.lengths)} series; TimeSeriesGAN needs at least {MIN_SERIES}")
        seed = self._fit_seed(cfg)
        s_static, s_init, s_train, s_sample = np.random.SeedSequence(seed).spawn(4)
        self.device_, self.seed_, self.series_ = resolve_device(cfg.device), seed, series
        t0 = _time.perf_counter()
        self.lo_, self.hi_, self.scale_mode_ = scale_of(series, cfg.series_scale)
        self.unit_ = UNIT
        table = static_table(series.static, series.lengths)
        if self.scale_mode_ == "series":
            table = table.assign(**scale_columns(series, self.lo_, self.hi_))
        privacy = PrivacySpec.parse(cfg.privacy)
        static_gan = static_model(cfg, table, privacy, int(s_static.generate_state(1)[0]))
        plan = privacy_plan(cfg, privacy, len(series.lengths), static_gan, table) if privacy else None
        self.static_gan_ = None if static_gan is None else static_gan.fit(table, schema=static_schema(table))
        cond = self._encode_static(table, np.random.default_rng(s_static))
        self._train(series, cond, s_init, distributed.rank_seed(s_train), table, plan)
        self._sample_seq_ = s_sample
        self.train_seconds_ = _time.perf_counter() - t0
        return self

    def _encode_static(self, table: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        """The condition of the feature generator: the static row as the static model encodes it."""
        if self.static_gan_ is None:
            return np.zeros((len(table), 0), dtype=np.float32)
        return self.static_gan_.dense(table, rng)

    def _train(self, series: SeriesData, cond: np.ndarray, s_init, s_train, table: pd.DataFrame | None = None,
               plan: dict | None = None) -> None:
        cfg, dev = self.settings_, self.device_
        n_feat, t = series.values.shape[2], series.max_len
        self.cond_dim_ = cond.shape[1]
        init = torch.Generator().manual_seed(int(s_init.generate_state(1)[0]))
        self.generator_ = build_seeded(lambda: generator_for(cfg, self.cond_dim_, n_feat), init, dev)
        critic = build_seeded(lambda: critic_for(cfg, self.cond_dim_, n_feat, t, private=bool(plan)), init, dev)
        torch_rng = torch.Generator(device=dev).manual_seed(int(s_train.generate_state(1)[0]))
        mask = np.arange(t)[None, :] < series.lengths[:, None]
        mid = half = None
        if self.scale_mode_ == "series":
            _, mid, half = split_scale(table, n_feat)
        values = torch.as_tensor(scaled(series.values, series.lengths, self.lo_, self.hi_, self.unit_, mid, half),
                                 device=dev)
        mask_t = torch.as_tensor(mask, dtype=torch.float32, device=dev)
        cond_t, np_rng = torch.as_tensor(cond, device=dev), np.random.default_rng(s_train)
        _, epochs, steps_per_epoch = schedule(cfg, len(mask))
        if plan:
            _, lengths, pool_cond = self._static_draw(PUBLIC_POOL, None, int(s_init.generate_state(3)[2]),
                                                      np.random.default_rng(s_init))
            pool_mask = torch.as_tensor(np.arange(t)[None, :] < lengths[:, None], dtype=torch.float32, device=dev)
            problem = PrivateSeriesProblem(values, mask_t, cond_t, cfg, np_rng, torch_rng, plan["sample_rate"],
                                           (torch.as_tensor(pool_cond, device=dev), pool_mask))
            tc = self._trainer_config(cfg, epochs, steps_per_epoch, gp_fraction=1.0, pac=1, loss="wgan-gp")
            trainer = private.PrivateCriticTrainer(self.generator_, critic, problem, tc, dev, torch_rng,
                                                   plan["noise_multiplier"], plan["spec"].max_grad_norm, problem.batch)
        else:
            problem = SeriesProblem(values, mask_t, cond_t, cfg, np_rng, torch_rng)
            tc = self._trainer_config(cfg, epochs, steps_per_epoch, pac=1, loss="hinge")
            trainer = AdversarialTrainer(self.generator_, critic, problem, tc, dev, torch_rng)
        self.history_ = trainer.fit()
        self.generator_ = trainer.ema
        self.privacy_spent_ = None if not plan else self._spent(plan, trainer.critic_steps)

    def _spent(self, plan: dict, steps: int) -> dict:
        """What the DP trainings (static model, feature critic) spent, composed by the accountant;
        the static model's figures are also under ``static``."""
        spec = plan["spec"]
        static = None if self.static_gan_ is None else self.static_gan_.privacy_spent_
        history = [(part["noise_multiplier"], part["sample_rate"], part["steps"]) for part in (static,) if part] + \
            [(plan["noise_multiplier"], plan["sample_rate"], steps)]
        return {"epsilon": private.spent(spec, history), "delta": spec.delta, "accountant": spec.accountant,
                "target_epsilon": spec.epsilon, "noise_multiplier": plan["noise_multiplier"],
                "max_grad_norm": spec.max_grad_norm, "sample_rate": plan["sample_rate"], "steps": steps,
                "metadata": private.METADATA, "static": static}

    # --------------------------------------------------------------- sample
    def sample(self, n: int | None = None, conditions: Mapping[str, Any] | None = None,
               random_state: int | None = None, *, n_series: int | None = None) -> pd.DataFrame:
        """``n`` series in the real long format; static ``conditions`` hold exactly.

        Parameters
        ----------
        n : int
            Number of series.
        conditions : mapping, optional
            Static column -> value; every series holds it.
        random_state : int, optional
            Seed of this call; the same seed gives the same series.
        n_series : int, optional
            Deprecated name of ``n`` (kept for one release, with a FutureWarning).
        """
        if n_series is not None:
            warnings.warn("TimeSeriesGAN.sample(n_series=...) is deprecated and will be removed in the next "
                          "release; use sample(n=...)", FutureWarning, stacklevel=2)
            if n is not None:
                raise ConfigError("n and n_series: give the number of series once, as n")
            n = n_series
        self._check_fitted()
        n = self._check_count(n)
        s = self.series_
        s_static, s_cond, s_noise = self._sample_stream(random_state).spawn(3)
        static, lengths, cond = self._static_draw(n, conditions, int(s_static.generate_state(1)[0]),
                                                  np.random.default_rng(s_cond))
        cond = torch.as_tensor(cond, device=self.device_)
        gen = torch.Generator(device=self.device_).manual_seed(int(s_noise.generate_state(1)[0]))
        with torch.no_grad():
            zs = torch.randn((n, s.max_len, self.settings_.step_noise), generator=gen, device=self.device_)
            zg = torch.randn((n, self.settings_.global_noise), generator=gen, device=self.device_)
            x = self.generator_(zs, zg, cond).float().cpu().numpy() if n else \
                np.zeros((0, s.max_len, len(s.features)), np.float32)
        if self.scale_mode_ == "series":
            static, mid, half = split_scale(static, len(s.features))
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
        """Write the model folder (atomically): weights, config, the static model, manifest."""
        from synthgan.synthesizers.timeseries.io import save_series_model
        self._check_fitted()
        return save_series_model(self, Path(directory))

    @classmethod
    def load(cls, directory: str | Path, device: str = "auto") -> "TimeSeriesGAN":
        """Load a folder written by :meth:`save`; a model trained on a GPU loads on a CPU."""
        from synthgan.synthesizers.timeseries.io import load_series_model
        return load_series_model(cls, Path(directory), device)
