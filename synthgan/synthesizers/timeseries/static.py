"""The static attributes of :class:`TimeSeriesGAN`'s series (each series' row of attributes, its
length when lengths vary, and under per-series scaling its midpoints and ranges): their table, its
model (a TabularGAN, or under differential privacy a noisy count table when they are all
discrete), the feature GAN's schedule, and the DP plan of every network that reads real series."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthgan.errors import ConfigError
from synthgan.schema import infer_schema
from synthgan.synthesizers.base import Settings
from synthgan.synthesizers.tabular import TabularGAN
from synthgan.synthesizers.timeseries.histogram import MAX_NOISE_SHARE, DiscreteHistogram
from synthgan.train import private
from synthgan.train.private import PrivacySpec

LENGTH = "__length__"


def static_schema(table: pd.DataFrame):
    """The static table's schema; a length with few distinct values (<= 64) is categorical, so
    its exact distribution is learned (as a number it piled up at the shortest and longest)."""
    few = LENGTH in table and table[LENGTH].nunique() <= 64
    return infer_schema(table, overrides={LENGTH: "categorical"} if few else None)

def static_table(static: pd.DataFrame, lengths: np.ndarray) -> pd.DataFrame:
    table = static.copy()
    if len(np.unique(lengths)) > 1:
        table[LENGTH] = lengths.astype(np.int64)
    return table

def static_model(cfg: Settings, table: pd.DataFrame, privacy: PrivacySpec | None, seed: int
                 ) -> TabularGAN | DiscreteHistogram | None:
    """The (unfitted) model of the static attributes; None when there are none. Without DP, a
    TabularGAN. Under DP it gets ``static_privacy_share`` of epsilon: a noisy count table when
    every attribute is discrete and ``static_histogram`` says so ("auto": when the noise summed
    over all cells is expected to stay within MAX_NOISE_SHARE of the series); else a DP
    TabularGAN on the series' batch size (small Poisson batches spend less of a budget than
    the tabular default of 500)."""
    if not table.shape[1]:
        return None
    batch = min(cfg.batch_size if privacy else 500, len(table))
    budget = None if privacy is None else {**privacy.to_dict(), "epsilon": privacy.epsilon * cfg.static_privacy_share}
    if privacy is not None and cfg.static_histogram != "never":
        schema = static_schema(table)
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

def schedule(cfg: Settings, n_series: int) -> tuple[int, int, int]:
    """(batch, epochs, steps per epoch) of the feature GAN: at least ``min_steps`` generator
    steps (50 series are one batch per epoch)."""
    batch = min(cfg.batch_size, n_series)
    per_epoch = max(n_series // batch, 1)
    return batch, max(cfg.epochs, -(-cfg.min_steps // per_epoch)), per_epoch

def privacy_plan(cfg: Settings, privacy: PrivacySpec, n_series: int,
                 static_gan: TabularGAN | DiscreteHistogram | None, table: pd.DataFrame) -> dict:
    """The DP-SGD plan of every network that reads real series, made before any training (an
    impossible budget is a ConfigError here, naming the part): the static model spends
    ``static_privacy_share`` of epsilon on its own; the feature critic the least noise that keeps
    both, composed in the accountant, within the whole budget. The privacy unit is one series: its static row and all its steps."""
    before = []
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
    batch, epochs, per_epoch = schedule(cfg, n_series)
    steps, rate = epochs * per_epoch * cfg.d_steps, batch / n_series
    return {"spec": privacy, "sample_rate": rate, "steps": steps, "before": before,
            "noise_multiplier": private.noise_for(privacy, n_series, rate, steps, before)}
