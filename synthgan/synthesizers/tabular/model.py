"""TabularGAN: a conditional WGAN-GP for mixed-type tables (CTGAN's ideas, built to be fast).

Example
-------
>>> gan = TabularGAN(epochs=50, random_state=0).fit(df, discrete_columns=["sex", "income"])
>>> rich = gan.sample(5000, conditions={"income": ">50K"})   # 5,000 rows, all ">50K"
>>> mix = gan.sample_conditions([Condition(500, {"income": ">50K"}), Condition(300, {"age": (30, 40)})])
>>> filled = gan.sample_remaining(known)        # known cells kept, null cells generated
>>> gan.save("models/adult"); TabularGAN.load("models/adult").sample(10, random_state=1)
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from synthgan.errors import ConfigError, DataError
from synthgan.files import fingerprint_frame
from synthgan.models.common import build_seeded
from synthgan.models.tabular import TabularCritic, TabularGenerator
from synthgan.schema import ColumnKind, Schema, infer_schema
from synthgan.synthesizers import base
from synthgan.synthesizers.base import Settings, Synthesizer, torch_generator
from synthgan.synthesizers.tabular.conditions import ConditionSampler
from synthgan.synthesizers.tabular.problem import PrivateTabularProblem, TabularProblem
from synthgan.synthesizers.tabular.sampling import TabularSampling
from synthgan.synthesizers.tabular.spans import SpanOps
from synthgan.train import distributed, private
from synthgan.train.device import resolve_device
from synthgan.train.loop import AdversarialTrainer, recalibrate_batchnorm
from synthgan.train.private import PrivacySpec
from synthgan.transform import constraints as rules
from synthgan.transform.dependencies import find_dependencies
from synthgan.transform.table import Encoded, TableTransformer

MIN_ROWS = 10
MAX_WIDTH, MAX_HIDDEN_WEIGHTS = 16_384, 100_000_000     # refused before anything is allocated


def _dims(name: str, dims: Any) -> tuple[int, ...]:
    if not isinstance(dims, (tuple, list)) or not dims or any(
            not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d < 1 for d in dims):
        raise ConfigError(f"{name}: expected a non-empty sequence of positive integers, got {dims!r}")
    weights = sum(a * b for a, b in zip(dims[:-1], dims[1:]))
    if max(dims) > MAX_WIDTH or weights > MAX_HIDDEN_WEIGHTS:
        raise ConfigError(f"{name}: {list(dims)} asks for {weights:,} hidden weights (~{weights * 4 / 1e9:.1f} GB); "
                          f"at most {MAX_WIDTH:,} units a layer and {MAX_HIDDEN_WEIGHTS:,} hidden weights")
    return tuple(dims)


def _point_masses(name: str, v: Any) -> Any:
    if v is not None and (not isinstance(v, Mapping) or not all(
            isinstance(x, (list, tuple)) and all(isinstance(y, (int, float, np.number)) and not isinstance(y, bool)
                                                 for y in x) for x in v.values())):
        raise ConfigError(f"{name}: expected a mapping of numeric column -> list of numbers, got {v!r}")
    return v


def _at_least_two(name: str, v: Any) -> Any:
    base.positive_int(name, v)
    if v < 2:
        raise ConfigError(f"{name}: expected at least 2, got {v}")
    return v


def _fraction(name: str, v: Any) -> Any:
    if not isinstance(v, (int, float, np.number)) or isinstance(v, bool) or not 0.0 < v <= 1.0:
        raise ConfigError(f"{name}: expected a number in (0, 1], got {v!r}")
    return v


def constraints_setting(name: str, v: Any) -> list[dict] | None:
    """Constraints as plain dicts (saved in config.json); a malformed one is a ConstraintError."""
    return None if v is None else [c.to_dict() for c in rules.parse(v)]


def privacy_setting(name: str, v: Any) -> dict | None:
    """A DP budget as the full spec (epsilon, delta, clipping norm, accountant); None: no DP."""
    return None if v is None else PrivacySpec.parse(v).to_dict()


class TabularGAN(TabularSampling, Synthesizer):
    """Conditional GAN for tables with continuous, integer, categorical, boolean and datetime columns.

    The constructor stores its settings; ``fit`` checks them. Learned state ends in ``_``.

    Parameters
    ----------
    epochs : int
        Passes over the training rows (at least ``min_steps`` optimiser steps are taken anyway).
    min_steps : int
        At least this many optimiser steps whatever the epochs (a 250-row table is one batch an epoch).
    batch_size : int
        Rows per batch (shrunk to the table; at least 2).
    noise_dim : int
        Size of the generator's noise vector.
    generator_dim, discriminator_dim : tuple of int
        Widths of the generator's residual layers and of the critic's layers.
    pac : int
        PacGAN packing: rows per critic input (1 under differential privacy and for tiny tables).
    lr_g, lr_d : float
        Adam learning rates of the generator and the critic.
    d_steps : int
        Critic updates per generator update.
    gp_weight : float
        Weight of the WGAN gradient penalty.
    gp_fraction : float
        Share of each batch's packs the gradient penalty is taken on, in (0, 1].
    dropout : float
        Dropout of the critic, in [0, 1).
    tau : float
        Gumbel-softmax temperature of the discrete spans.
    ema_decay : float
        Decay of the generator's exponential moving average (the sampling copy), in [0, 1).
    max_categories, max_modes, gmm_samples, clip, point_masses, quantile, numeric_bins
        The reversible transform's settings; see :class:`synthgan.transform.TableTransformer`.
    constraints : list of dict, optional
        Rules every generated row meets by construction: ``inequality``, ``non_negative``,
        ``range``, ``combinations`` (see the constraints page of the docs).
    privacy : dict, optional
        ``{"epsilon", "delta"}`` (and ``max_grad_norm``, ``accountant``): the critic is trained
        with DP-SGD (Opacus) within that budget.
    derive_dependencies : bool
        Columns another column determines exactly are derived after sampling, not learned.
    joint_condition_prob : float
        Share of the other discrete columns joined to each training condition, in [0, 1).
    max_condition_rows : int
        Training rows whose discrete codes are kept to condition free rows (0: none).
    checkpoint_every : int
        Epochs between checkpoints when ``fit`` is given a checkpoint folder.
    random_state : int, optional
        Seed of everything the fit draws; the same seed on the same device gives the same rows.
    device : str
        ``"auto"`` (cuda, then mps, then cpu), ``"cpu"``, ``"cuda"`` or ``"mps"``.
    verbose : bool
        Show a progress bar while training.
    """

    _checks = {
        "min_steps": base.non_negative_int, "batch_size": _at_least_two, "noise_dim": base.positive_int,
        "generator_dim": _dims, "discriminator_dim": _dims, "pac": base.positive_int, "gp_fraction": _fraction,
        "dropout": base.unit, "tau": base.positive, "max_categories": _at_least_two, "max_modes": base.positive_int,
        "gmm_samples": base.positive_int, "point_masses": _point_masses, "numeric_bins": base.non_negative_int,
        "constraints": constraints_setting, "privacy": privacy_setting, "joint_condition_prob": base.unit,
        "max_condition_rows": base.non_negative_int, "checkpoint_every": base.positive_int,
    }

    def __init__(self, *, epochs: int = 300, min_steps: int = 6000, batch_size: int = 500, noise_dim: int = 128,
                 generator_dim: tuple[int, ...] = (256, 256), discriminator_dim: tuple[int, ...] = (256, 256),
                 pac: int = 10, lr_g: float = 2e-4, lr_d: float = 2e-4, d_steps: int = 1, gp_weight: float = 10.0,
                 gp_fraction: float = 0.5, dropout: float = 0.5, tau: float = 0.2, ema_decay: float = 0.995,
                 max_categories: int = 100, max_modes: int = 10, gmm_samples: int = 5000, clip: bool = True,
                 point_masses: dict[str, list[float]] | None = None, quantile: bool = True, numeric_bins: int = 0,
                 constraints: list[dict] | None = None, privacy: dict | None = None, derive_dependencies: bool = True,
                 joint_condition_prob: float = 0.5, max_condition_rows: int = 50_000, checkpoint_every: int = 10,
                 random_state: int | None = None, device: str = "auto", verbose: bool = False) -> None:
        self.epochs, self.min_steps, self.batch_size, self.noise_dim = epochs, min_steps, batch_size, noise_dim
        self.generator_dim, self.discriminator_dim, self.pac = generator_dim, discriminator_dim, pac
        self.lr_g, self.lr_d, self.d_steps, self.gp_weight, self.gp_fraction = lr_g, lr_d, d_steps, gp_weight, gp_fraction
        self.dropout, self.tau, self.ema_decay = dropout, tau, ema_decay
        self.max_categories, self.max_modes, self.gmm_samples, self.clip = max_categories, max_modes, gmm_samples, clip
        self.point_masses, self.quantile, self.numeric_bins = point_masses, quantile, numeric_bins
        self.constraints, self.privacy, self.derive_dependencies = constraints, privacy, derive_dependencies
        self.joint_condition_prob, self.max_condition_rows = joint_condition_prob, max_condition_rows
        self.checkpoint_every, self.random_state, self.device, self.verbose = checkpoint_every, random_state, device, verbose

    # ------------------------------------------------------------------ fit
    def fit(self, data: pd.DataFrame, discrete_columns: Iterable[str] | None = None,
            schema: Schema | None = None, checkpoint: str | Path | None = None) -> "TabularGAN":
        """Learn the joint distribution of ``data``.

        Parameters
        ----------
        data : DataFrame
            The real rows.
        discrete_columns : iterable of str, optional
            Columns to treat as categorical; inferred from dtypes and values when not given.
        schema : Schema, optional
            A full schema (e.g. from :func:`synthgan.read_table`); overrides inference.
        checkpoint : path, optional
            A folder for the training state, saved every ``checkpoint_every`` epochs; a fit of the
            same data and settings that finds one there resumes from it (and ends as an
            uninterrupted fit would). It is removed when the fit completes.

        Returns
        -------
        TabularGAN
            ``self``, fitted.
        """
        cfg = self.settings_ = self.validate_params()
        schema = self._check_data(data, discrete_columns, schema)
        self.constraints_ = rules.parse(cfg.constraints)
        rules.check(self.constraints_, data, schema)
        privacy = PrivacySpec.parse(cfg.privacy)
        batch, pac = _adapt_batch(len(data), cfg.batch_size, 1 if privacy else cfg.pac)
        plan = self.privacy_plan(len(data))            # an impossible budget: refused now
        seed = self._fit_seed(cfg)
        s_transform, s_sampler, s_init, s_train, s_sample = np.random.SeedSequence(seed).spawn(5)
        device = resolve_device(cfg.device)
        t0 = time.perf_counter()
        self.dependencies_ = find_dependencies(data, schema) if cfg.derive_dependencies else []
        learned, learned_schema = self._learned(data, schema)
        transformer = TableTransformer(**{f.name: getattr(cfg, f.name) for f in fields(TableTransformer) if f.init})
        transformer.fit(learned, learned_schema, np.random.default_rng(s_transform))
        self.transformer_seconds_ = time.perf_counter() - t0
        encoded = transformer.transform(learned, np.random.default_rng(s_transform.spawn(1)[0]))
        self.transformer_, self.schema_, self.seed_, self.device_ = transformer, schema, seed, device
        # Under DP no real row's discrete values are kept for sampling (see synthgan.train.private).
        self.condition_rows_ = None if privacy else _condition_rows(encoded, transformer, cfg.max_condition_rows,
                                                                    np.random.default_rng(s_sampler))
        self.sampler_ = self._make_sampler(transformer, self.condition_rows_)
        self.batch_size_, self.pac_ = batch, pac
        self._build_networks(torch_generator(s_init, torch.device("cpu")))
        s_train = distributed.rank_seed(s_train)            # under torchrun: each rank its own batches
        self._train(encoded, np.random.default_rng(s_train), torch_generator(s_train, device),
                    Path(checkpoint) if checkpoint is not None else None, plan)
        self._sample_seq_ = s_sample
        self.fingerprint_ = fingerprint_frame(data)
        self.n_rows_ = len(data)
        return self

    def _learned(self, data: pd.DataFrame, schema: Schema) -> tuple[pd.DataFrame, Schema]:
        """The columns the GAN learns: all but those derived from another column."""
        derived = {d.target for d in self.dependencies_}
        keep = [c for c in schema.columns if c.name not in derived]
        return rules.learned(self.constraints_, data[[c.name for c in keep]], Schema(tuple(keep)))

    def _derive(self, out: pd.DataFrame) -> pd.DataFrame:
        """Fill the derived columns and restore the real column order and dtypes."""
        for d in self.dependencies_:
            out[d.target] = d.derive(out[d.source]).astype(self.schema_[d.target].dtype)
        return out[self.schema_.names]

    def _constrain(self, out: pd.DataFrame) -> pd.DataFrame:
        """The constraints applied (after every known or conditioned value is in place)."""
        return rules.restore(self.constraints_, out, self.schema_) if self.constraints_ else out

    def combinations(self) -> list:
        """The combinations constraints the model learns as one merged column each."""
        derived = {d.target for d in self.dependencies_}
        return rules.merged(getattr(self, "constraints_", []), [n for n in self.schema_.names if n not in derived])

    def constrained_columns(self) -> set[str]:
        """Columns rebuilt from others by a constraint (the high side of an inequality)."""
        return {c.high for c in getattr(self, "constraints_", []) if isinstance(c, rules.Inequality)}

    def _check_data(self, data: pd.DataFrame, discrete_columns, schema: Schema | None) -> Schema:
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"fit expects a pandas DataFrame, got {type(data).__name__}")
        dup = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
        if dup:
            raise DataError(f"data has duplicate column names {dup}")
        if len(data) < MIN_ROWS:
            raise DataError(f"data has {len(data)} rows; TabularGAN needs at least {MIN_ROWS}")
        empty = [str(c) for c in data.columns if data[c].isna().all()]
        if empty:
            raise DataError(f"column(s) {empty} are entirely null; drop them or fill them")
        if discrete_columns is not None:
            discrete_columns = [discrete_columns] if isinstance(discrete_columns, str) else list(discrete_columns)
            absent = [c for c in discrete_columns if c not in data.columns]
            if absent:
                raise DataError(f"discrete column(s) {absent} are not in the data; columns are {list(data.columns)}")
        if schema is None:
            schema = infer_schema(data, discrete_columns=discrete_columns)
        elif discrete_columns is not None:
            raise ConfigError("pass either discrete_columns or schema, not both")
        if not [c for c in schema.columns if c.kind is not ColumnKind.ID]:
            raise DataError("no column to learn: every column is an identifier")
        return schema

    def _make_sampler(self, transformer: TableTransformer, condition_rows: np.ndarray | None) -> ConditionSampler:
        layout = transformer.layout_
        # a training condition starts from a discrete column (rare classes are seen often); the
        # numeric columns' bins join it as the other columns do
        primary = np.flatnonzero(~np.asarray(layout.cond_binned, dtype=bool))
        return ConditionSampler(layout.cond_sizes, transformer.cond_frequencies(), self.settings_.joint_condition_prob,
                                condition_rows, primary)

    def _build_networks(self, init_gen: torch.Generator) -> None:
        cfg, layout = self.settings_, self.transformer_.layout_
        self.generator_ = build_seeded(
            lambda: TabularGenerator(cfg.noise_dim, layout.cond_dim, layout.dim, cfg.generator_dim),
            init_gen, self.device_)
        self._critic = build_seeded(
            lambda: TabularCritic(layout.dim + layout.cond_dim, self.pac_, cfg.discriminator_dim, cfg.dropout),
            init_gen, self.device_)

    def privacy_plan(self, rows: int) -> dict | None:
        """The DP-SGD plan of a fit on ``rows`` rows (None without ``privacy``): Poisson sample
        rate, critic steps and the noise multiplier that spends the budget in them (a ConfigError
        when none can). A fit follows it exactly."""
        cfg = self.validate_params()
        privacy = PrivacySpec.parse(cfg.privacy)
        if privacy is None:
            return None
        batch, _ = _adapt_batch(rows, cfg.batch_size, 1)
        epochs, per_epoch = _epochs(cfg, rows, batch)
        steps = epochs * per_epoch * cfg.d_steps
        rate = batch / rows
        return {"spec": privacy, "sample_rate": rate, "steps": steps,
                "noise_multiplier": private.noise_for(privacy, rows, rate, steps)}

    def _train(self, encoded: Encoded, np_rng: np.random.Generator, torch_rng: torch.Generator,
               checkpoint: Path | None = None, plan: dict | None = None) -> None:
        cfg, layout = self.settings_, self.transformer_.layout_
        self._ops = SpanOps(layout, self.device_)
        args = (encoded, layout.cond_spans, self._ops, self.sampler_, self.batch_size_, cfg.noise_dim, cfg.tau,
                np_rng, torch_rng)
        problem = PrivateTabularProblem(*args, sample_rate=plan["sample_rate"]) if plan else TabularProblem(*args)
        self._critic.set_generator(torch_rng)
        epochs, steps_per_epoch = _epochs(cfg, len(encoded), self.batch_size_)
        tc = self._trainer_config(cfg, epochs, steps_per_epoch, pac=self.pac_)
        if plan:
            trainer = private.PrivateCriticTrainer(self.generator_, self._critic, problem, tc, self.device_, torch_rng,
                                                   plan["noise_multiplier"], plan["spec"].max_grad_norm,
                                                   self.batch_size_)
        else:
            trainer = AdversarialTrainer(self.generator_, self._critic, problem, tc, self.device_, torch_rng)
        t0 = time.perf_counter()
        self.history_ = trainer.fit(checkpoint=checkpoint)
        self.privacy_spent_ = None
        if plan:
            spec, steps = plan["spec"], trainer.critic_steps
            self.privacy_spent_ = {
                "epsilon": private.spent(spec, plan["noise_multiplier"], plan["sample_rate"], steps),
                "delta": spec.delta, "accountant": spec.accountant, "target_epsilon": spec.epsilon,
                "noise_multiplier": plan["noise_multiplier"], "max_grad_norm": spec.max_grad_norm,
                "sample_rate": plan["sample_rate"], "steps": steps, "metadata": private.METADATA}
        recalibrate_batchnorm(trainer.ema, problem.calibration_inputs(20))
        self.train_seconds_ = time.perf_counter() - t0
        self.generator_ = trainer.ema
        self._critic.set_generator(None)
        if checkpoint is not None and distributed.is_main():
            shutil.rmtree(checkpoint, ignore_errors=True)       # the model is what remains

    def dense(self, table: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        """Rows of ``table`` (the learned columns) encoded as the generator writes them, (n, width)
        float32: what a model conditioned on these rows reads (the time-series feature generator)."""
        self._check_fitted()
        enc = self.transformer_.transform(table[self.transformer_.schema_.names], rng)
        out = self._ops.dense(torch.as_tensor(enc.alphas, device=self.device_),
                              torch.as_tensor(enc.codes, device=self.device_))
        return out.float().cpu().numpy()

    # ---------------------------------------------------------- persistence
    def save(self, directory: str | Path) -> Path:
        """Write the model folder (atomically): weights, config, transformer, schema, manifest, losses."""
        from synthgan.synthesizers.tabular.io import save_model
        self._check_fitted()
        return save_model(self, Path(directory))

    @classmethod
    def load(cls, directory: str | Path, device: str = "auto") -> "TabularGAN":
        """Load a folder written by :meth:`save`; a model trained on a GPU loads on a CPU."""
        from synthgan.synthesizers.tabular.io import load_model
        return load_model(cls, Path(directory), device)


def _epochs(cfg: Settings, rows: int, batch: int) -> tuple[int, int]:
    """(epochs, steps per epoch): at least ``min_steps`` optimiser steps (a 250-row table is one
    batch per epoch)."""
    steps_per_epoch = max(rows // batch, 1)
    return max(cfg.epochs, -(-cfg.min_steps // steps_per_epoch)), steps_per_epoch


def _condition_rows(encoded: Encoded, transformer: TableTransformer, limit: int,
                    rng: np.random.Generator) -> np.ndarray | None:
    """The discrete codes of up to ``limit`` training rows drawn without replacement, (m, n_cond)
    int32, kept with the model to condition free rows as in training (None when ``limit`` is 0)."""
    spans = transformer.layout_.cond_spans
    if limit == 0 or len(spans) == 0:
        return None
    rows = rng.choice(len(encoded), size=min(limit, len(encoded)), replace=False)
    return np.ascontiguousarray(encoded.codes[np.sort(rows)][:, spans]).astype(np.int32)


def _adapt_batch(n_rows: int, batch_size: int, pac: int) -> tuple[int, int]:
    """A batch no larger than the data and divisible by the pack size (packing off for tiny data)."""
    batch = min(batch_size, n_rows)
    if batch < 2 * pac:
        pac = 1
    batch = max(2, batch // pac * pac)
    return batch, pac
