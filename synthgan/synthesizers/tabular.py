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

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import numpy as np
import pandas as pd
import torch

from synthgan.errors import ConditionError, ConfigError, DataError, NotFittedError
from synthgan.models.common import build_seeded
from synthgan.models.tabular import TabularCritic, TabularGenerator
from synthgan.schema import ColumnKind, Schema, infer_schema
from synthgan.synthesizers import persistence as io
from synthgan.synthesizers import row_conditions as rc
from synthgan.synthesizers.conditions import ConditionSampler
from synthgan.synthesizers.row_conditions import Condition
from synthgan.synthesizers.config import check_common, check_known
from synthgan.synthesizers.spans import SpanOps
from synthgan.synthesizers.tabular_problem import PrivateTabularProblem, TabularProblem
from synthgan.train import distributed
from synthgan.train import private
from synthgan.train.device import resolve_device
from synthgan.train.loop import AdversarialTrainer, TrainConfig, recalibrate_batchnorm
from synthgan.train.private import PrivacySpec
from synthgan.transform import constraints as rules
from synthgan.transform.dependencies import find_dependencies
from synthgan.transform.table import Encoded, TableTransformer

MIN_ROWS = 10
MAX_WIDTH, MAX_HIDDEN_WEIGHTS = 16_384, 100_000_000     # refused before anything is allocated
_SAMPLE_CHUNK = 8192


@dataclass
class TabularGANConfig:
    """Hyperparameters of :class:`TabularGAN` (validated in ``fit``)."""

    epochs: int = 300
    min_steps: int = 6000
    batch_size: int = 500
    noise_dim: int = 128
    generator_dim: tuple[int, ...] = (256, 256)
    discriminator_dim: tuple[int, ...] = (256, 256)
    pac: int = 10
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    d_steps: int = 1
    gp_weight: float = 10.0
    gp_fraction: float = 0.5
    dropout: float = 0.5
    tau: float = 0.2
    ema_decay: float = 0.995
    max_categories: int = 100
    max_modes: int = 10
    gmm_samples: int = 5000
    clip: bool = True
    point_masses: dict[str, list[float]] | None = None
    quantile: bool = True
    numeric_bins: int = 0
    constraints: list[dict] | None = None
    privacy: dict | None = None          # {"epsilon", "delta"}: the critic trained with DP-SGD (Opacus)
    derive_dependencies: bool = True
    joint_condition_prob: float = 0.5
    max_condition_rows: int = 50_000
    checkpoint_every: int = 10
    random_state: int | None = None
    device: str = "auto"
    verbose: bool = False

    def validate(self) -> None:
        check_common(self, ("epochs", "batch_size", "noise_dim", "pac", "d_steps", "max_categories", "max_modes",
                            "gmm_samples", "checkpoint_every"), positive=("lr_g", "lr_d", "tau"),
                     unit=("dropout", "ema_decay", "joint_condition_prob"), non_negative=("gp_weight",))
        for name in ("min_steps", "max_condition_rows", "numeric_bins"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0:
                raise ConfigError(f"{name}: expected a non-negative integer, got {v!r}")
        if self.point_masses is not None:
            if not isinstance(self.point_masses, Mapping) or not all(
                    isinstance(v, (list, tuple)) and all(isinstance(x, (int, float, np.number)) and not isinstance(x, bool)
                                                         for x in v) for v in self.point_masses.values()):
                raise ConfigError(f"point_masses: expected a mapping of numeric column -> list of numbers, "
                                  f"got {self.point_masses!r}")
        rules.parse(self.constraints)
        PrivacySpec.parse(self.privacy)
        if self.batch_size < 2:
            raise ConfigError(f"batch_size: expected at least 2, got {self.batch_size}")
        if self.max_categories < 2:
            raise ConfigError(f"max_categories: expected at least 2, got {self.max_categories}")
        if not 0.0 < self.gp_fraction <= 1.0:
            raise ConfigError(f"gp_fraction: expected a number in (0, 1], got {self.gp_fraction!r}")
        for name in ("generator_dim", "discriminator_dim"):
            dims = getattr(self, name)
            if not isinstance(dims, (tuple, list)) or not dims or any(
                    not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d < 1 for d in dims):
                raise ConfigError(f"{name}: expected a non-empty sequence of positive integers, got {dims!r}")
            weights = sum(a * b for a, b in zip(dims[:-1], dims[1:]))
            if max(dims) > MAX_WIDTH or weights > MAX_HIDDEN_WEIGHTS:
                raise ConfigError(f"{name}: {list(dims)} asks for {weights:,} hidden weights (~{weights * 4 / 1e9:.1f} GB); "
                                  f"at most {MAX_WIDTH:,} units a layer and {MAX_HIDDEN_WEIGHTS:,} hidden weights")


class TabularGAN:
    """Conditional GAN for tables with continuous, integer, categorical, boolean and datetime columns.

    Parameters are those of :class:`TabularGANConfig`; the constructor only stores them.
    Learned state ends in ``_``.
    """

    def __init__(self, **hyperparameters: Any) -> None:
        check_known(TabularGANConfig, hyperparameters)
        for k, v in hyperparameters.items():
            if k in ("generator_dim", "discriminator_dim") and isinstance(v, list):
                hyperparameters[k] = tuple(v)
            if k == "constraints" and v is not None:     # kept as plain dicts: saved in config.json
                hyperparameters[k] = [c.to_dict() for c in rules.parse(v)]
            if k == "privacy" and v is not None:
                hyperparameters[k] = PrivacySpec.parse(v).to_dict()
        self.config = TabularGANConfig(**hyperparameters)

    def __repr__(self) -> str:
        changed = {k: v for k, v in asdict(self.config).items() if v != getattr(TabularGANConfig(), k)}
        return f"TabularGAN({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

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
            A full schema (e.g. from :func:`synthgan.ingest.read_table`); overrides inference.
        checkpoint : path, optional
            A folder for the training state, saved every ``checkpoint_every`` epochs; a fit of the
            same data and settings that finds one there resumes from it (and ends as an
            uninterrupted fit would). It is removed when the fit completes.

        Returns
        -------
        TabularGAN
            ``self``, fitted.
        """
        cfg = self.config
        cfg.validate()
        schema = self._check_data(data, discrete_columns, schema)
        self.constraints_ = rules.parse(cfg.constraints)
        rules.check(self.constraints_, data, schema)
        privacy = PrivacySpec.parse(cfg.privacy)
        batch, pac = _adapt_batch(len(data), cfg.batch_size, 1 if privacy else cfg.pac)
        plan = self.privacy_plan(len(data))            # an impossible budget: refused now
        seed = cfg.random_state if cfg.random_state is not None else int(np.random.SeedSequence().entropy % 2**63)
        seq = np.random.SeedSequence(seed)
        s_transform, s_sampler, s_init, s_train, s_sample = seq.spawn(5)
        device = resolve_device(cfg.device)
        t0 = time.perf_counter()
        self.dependencies_ = find_dependencies(data, schema) if cfg.derive_dependencies else []
        learned, learned_schema = self._learned(data, schema)
        transformer = TableTransformer(cfg.max_categories, cfg.max_modes, cfg.gmm_samples, cfg.clip,
                                       cfg.point_masses, cfg.quantile, cfg.numeric_bins)
        transformer.fit(learned, learned_schema, np.random.default_rng(s_transform))
        self.transformer_seconds_ = time.perf_counter() - t0
        encoded = transformer.transform(learned, np.random.default_rng(s_transform.spawn(1)[0]))
        self.transformer_, self.schema_, self.seed_, self.device_ = transformer, schema, seed, device
        # Under DP no real row's discrete values are kept for sampling (see synthgan.train.private).
        self.condition_rows_ = None if privacy else _condition_rows(encoded, transformer, cfg.max_condition_rows,
                                                                    np.random.default_rng(s_sampler))
        self.sampler_ = self._make_sampler(transformer, self.condition_rows_)
        self.batch_size_, self.pac_ = batch, pac
        self._build_networks(_torch_gen(s_init, torch.device("cpu")))
        s_train = distributed.rank_seed(s_train)            # under torchrun: each rank its own batches
        self._train(encoded, np.random.default_rng(s_train), _torch_gen(s_train, device),
                    Path(checkpoint) if checkpoint is not None else None, plan)
        self._sample_seq_ = s_sample
        self.fingerprint_ = io.fingerprint_frame(data)
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
        return ConditionSampler(layout.cond_sizes, transformer.cond_frequencies(), self.config.joint_condition_prob,
                                condition_rows, primary)

    def _build_networks(self, init_gen: torch.Generator) -> None:
        cfg, layout = self.config, self.transformer_.layout_
        self.generator_ = build_seeded(
            lambda: TabularGenerator(cfg.noise_dim, layout.cond_dim, layout.dim, cfg.generator_dim),
            init_gen, self.device_)
        self._critic = build_seeded(
            lambda: TabularCritic(layout.dim + layout.cond_dim, self.pac_, cfg.discriminator_dim, cfg.dropout),
            init_gen, self.device_)

    def _epochs(self, rows: int, batch: int) -> tuple[int, int]:
        """(epochs, steps per epoch): at least ``min_steps`` optimiser steps (a 250-row table is
        one batch per epoch)."""
        steps_per_epoch = max(rows // batch, 1)
        return max(self.config.epochs, -(-self.config.min_steps // steps_per_epoch)), steps_per_epoch

    def privacy_plan(self, rows: int) -> dict | None:
        """The DP-SGD plan of a fit on ``rows`` rows (None without ``privacy``): Poisson sample
        rate, critic steps and the noise multiplier that spends the budget in them (a ConfigError
        when none can). A fit follows it exactly."""
        privacy = PrivacySpec.parse(self.config.privacy)
        if privacy is None:
            return None
        batch, _ = _adapt_batch(rows, self.config.batch_size, 1)
        epochs, per_epoch = self._epochs(rows, batch)
        steps = epochs * per_epoch * self.config.d_steps
        rate = batch / rows
        return {"spec": privacy, "sample_rate": rate, "steps": steps,
                "noise_multiplier": private.noise_for(privacy, rows, rate, steps)}

    def _train(self, encoded: Encoded, np_rng: np.random.Generator, torch_rng: torch.Generator,
               checkpoint: Path | None = None, plan: dict | None = None) -> None:
        cfg, layout = self.config, self.transformer_.layout_
        self._ops = SpanOps(layout, self.device_)
        args = (encoded, layout.cond_spans, self._ops, self.sampler_, self.batch_size_, cfg.noise_dim, cfg.tau,
                np_rng, torch_rng)
        problem = PrivateTabularProblem(*args, sample_rate=plan["sample_rate"]) if plan else TabularProblem(*args)
        self._critic.set_generator(torch_rng)
        epochs, steps_per_epoch = self._epochs(len(encoded), self.batch_size_)
        tc = TrainConfig(epochs=epochs, steps_per_epoch=steps_per_epoch,
                         lr_g=cfg.lr_g, lr_d=cfg.lr_d, d_steps=cfg.d_steps, gp_weight=cfg.gp_weight,
                         gp_fraction=cfg.gp_fraction,
                         pac=self.pac_, ema_decay=cfg.ema_decay, verbose=cfg.verbose,
                         checkpoint_every=cfg.checkpoint_every)
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
            import shutil
            shutil.rmtree(checkpoint, ignore_errors=True)       # the model is what remains

    # --------------------------------------------------------------- sample
    def sample(self, n: int, conditions: Mapping[str, Any] | None = None,
               random_state: int | None = None, id_offset: int = 0) -> pd.DataFrame:
        """Generate ``n`` rows with the real columns and dtypes.

        Parameters
        ----------
        n : int
            Number of rows (exactly this many are returned).
        conditions : mapping, optional
            Discrete column -> value. Every returned row holds these values; the other columns
            come from the conditional generator given them.
        random_state : int, optional
            Seed of this call; the same seed gives the same rows. Without one, successive calls
            continue one random stream seeded at fit.
        id_offset : int
            First value of regenerated identifier columns, so that several samples put together
            keep their identifiers unique.
        """
        parts = list(self.sample_batches(n, conditions, random_state, id_offset))
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]

    def sample_conditions(self, conditions: list[Condition], random_state: int | None = None,
                          id_offset: int = 0) -> pd.DataFrame:
        """Rows for several groups in one pass, in order: ``Condition(rows, values)`` each.

        ``values`` maps a column to a value (kept exactly) or, for a numeric or datetime column,
        a range ``(low, high)`` (bounds included; ``None`` for an open end). Every row meets its
        group's condition by construction; the other columns follow the real joint given it.
        An impossible combination (no real row holds it) raises :class:`ConditionError`.
        """
        parts = list(self.sample_conditions_batches(conditions, random_state, id_offset))
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]

    def sample_conditions_batches(self, conditions: list[Condition], random_state: int | None = None,
                                  id_offset: int = 0) -> Iterator[pd.DataFrame]:
        """The rows of :meth:`sample_conditions` as consecutive frames of at most 8,192 rows."""
        self._check_fitted()
        if isinstance(conditions, Condition) or not isinstance(conditions, (list, tuple)):
            raise ConditionError(f"conditions: expected a list of Condition, got {type(conditions).__name__}")
        for i, c in enumerate(conditions):
            if not isinstance(c, Condition):
                raise ConditionError(f"conditions[{i}]: expected a Condition(rows, values), got {type(c).__name__}")
        plans = []
        for i, c in enumerate(conditions):      # every group is checked before any row is generated
            try:
                plans.append(rc.plan(self, c.values))
            except ConditionError as e:
                raise ConditionError(f"conditions[{i}]: {e}") from None
        seq = np.random.SeedSequence(random_state) if random_state is not None else self._sample_seq_.spawn(1)[0]
        return self._plan_batches(list(zip(conditions, plans)), seq, id_offset)

    def _plan_batches(self, groups, seq, id_offset: int) -> Iterator[pd.DataFrame]:
        np_rng, torch_rng = np.random.default_rng(seq), _torch_gen(seq, self.device_)
        total = sum(c.rows for c, _ in groups)
        if total == 0:
            yield self._constrain(self._decode_rows(*self._draw_group(rc.Plan(), 0, np_rng, rc.describe({})), np_rng,
                                                    torch_rng, id_offset))
            return
        done = 0
        for cond, p in groups:
            for i in range(0, cond.rows, _SAMPLE_CHUNK):
                m = min(_SAMPLE_CHUNK, cond.rows - i)
                out = self._decode_rows(*self._draw_group(p, m, np_rng, rc.describe(cond.values)), np_rng, torch_rng,
                                        id_offset + done)
                done += m
                yield self._constrain(_holding(out, p.exact))

    def _draw_group(self, p, m: int, np_rng, what: str):
        try:
            codes, mask = self.sampler_.sample_weighted(m, np_rng, p.weights)
        except ValueError:
            raise ConditionError(f"no real row has {what}: the combination was never seen in the training rows "
                                 "kept with the model") from None
        keep = np.zeros_like(mask)
        keep[:, list(p.weights)] = True
        limits = {c: (np.full(m, lo), np.full(m, hi)) for c, (lo, hi) in p.limits.items()}
        return codes, mask, keep, limits

    def sample_remaining(self, known: pd.DataFrame, random_state: int | None = None,
                         id_offset: int = 0) -> pd.DataFrame:
        """One row per row of ``known``, in its order and with its index: the known (non-null)
        cells kept exactly, the null cells generated conditionally on the row's known values
        (discrete ones through the condition vector, numeric ones through their value bins).
        Generated ids count from ``id_offset``."""
        self._check_fitted()
        if not isinstance(known, pd.DataFrame):
            raise ConditionError(f"known: expected a pandas DataFrame, got {type(known).__name__}")
        seq = np.random.SeedSequence(random_state) if random_state is not None else self._sample_seq_.spawn(1)[0]
        np_rng, torch_rng = np.random.default_rng(seq), _torch_gen(seq, self.device_)
        fixed, given = rc.known_codes(self, known, np_rng)
        parts = []
        for i in range(0, max(len(known), 1), _SAMPLE_CHUNK):
            rows = slice(i, min(i + _SAMPLE_CHUNK, len(known)))
            codes, mask = self.sampler_.sample_rows(fixed[rows], np_rng)
            out = self._decode_rows(codes, mask, fixed[rows] >= 0, {}, np_rng, torch_rng, id_offset + i)
            for col, present in given.items():
                if present[rows].any():
                    out[col] = _keep_known(out[col], known[col].iloc[rows], present[rows])
            parts.append(self._constrain(out))
        out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        out.index = known.index
        return out

    def sample_batches(self, n: int, conditions: Mapping[str, Any] | None = None,
                       random_state: int | None = None, id_offset: int = 0) -> Iterator[pd.DataFrame]:
        """The rows of :meth:`sample` (same arguments, same rows) as consecutive frames of at most
        8,192 rows, so that a caller can write them out without holding all ``n`` rows."""
        self._check_fitted()
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
            raise ConfigError(f"n: expected a non-negative integer, got {n!r}")
        combined = {col for c in self.combinations() for col in c.columns}
        if isinstance(conditions, Mapping) and any(rc.is_range(v) or c in self.transformer_.numeric_ or c in combined
                                                   for c, v in conditions.items()):
            return self.sample_conditions_batches([Condition(n, dict(conditions))], random_state, id_offset)
        conditions = self._via_sources(conditions or {})
        fixed = self._condition_codes(conditions)
        seq = np.random.SeedSequence(random_state) if random_state is not None else self._sample_seq_.spawn(1)[0]
        return self._batches(n, conditions, fixed, seq, id_offset)

    def _batches(self, n: int, conditions: dict, fixed: dict[int, int], seq, id_offset: int) -> Iterator[pd.DataFrame]:
        np_rng, torch_rng = np.random.default_rng(seq), _torch_gen(seq, self.device_)
        for i in range(0, max(n, 1), _SAMPLE_CHUNK):
            out = self._sample_chunk(min(_SAMPLE_CHUNK, n - i), fixed, np_rng, torch_rng, id_offset + i)
            yield self._constrain(_holding(out, conditions))

    def _sample_chunk(self, n: int, fixed: dict[int, int], np_rng, torch_rng, id_start: int) -> pd.DataFrame:
        codes, mask = self.sampler_.sample_free(n, np_rng, fixed)
        keep = np.zeros_like(mask)
        keep[:, list(fixed)] = True
        return self._decode_rows(codes, mask, keep, {}, np_rng, torch_rng, id_start)

    @torch.no_grad()
    def _decode_rows(self, codes: np.ndarray, mask: np.ndarray, keep: np.ndarray, limits: dict,
                     np_rng, torch_rng, id_start: int) -> pd.DataFrame:
        """Rows generated under condition codes (n, n_cond) and mask; the spans where ``keep``
        is True hold exactly their code; ``limits`` bound binned numeric columns per row."""
        n = len(codes)
        cond = torch.as_tensor(self.sampler_.vector(codes, mask), device=self.device_)
        noise = torch.randn((n, self.config.noise_dim), generator=torch_rng, device=self.device_)
        raw = self.generator_(noise, cond).float() if n else torch.zeros((0, self._ops.dim), device=self.device_)
        alphas, span_codes = self._ops.decode(raw, torch_rng)
        span_codes = span_codes.cpu().numpy()
        layout = self.transformer_.layout_
        limits = dict(limits)
        for j in np.flatnonzero(keep.any(axis=0)):    # the conditioned spans hold exactly the condition
            rows = keep[:, j]
            span_codes[rows, layout.cond_spans[j]] = codes[rows, j]
            if layout.cond_binned[j]:                 # and a numeric column's value stays in its bin
                col = layout.cond_columns[j]
                lo, hi = limits.get(col, (np.full(n, np.nan), np.full(n, np.nan)))
                limits[col] = (np.where(rows & np.isnan(lo), -np.inf, lo), np.where(rows & np.isnan(hi), np.inf, hi))
        out = self.transformer_.inverse_transform(Encoded(alphas.cpu().numpy(), span_codes), np_rng, id_start,
                                                  limits)
        if self.constraints_:
            out = rules.split(self.combinations(), out, self.schema_)
        return self._derive(out)

    def typed_value(self, column: str, text: str) -> Any:
        """A condition value given as text (CLI, YAML), matched to the type of the column's real levels."""
        self._check_fitted()
        enc = self.transformer_.discrete_.get(column)
        for v in (enc.levels + enc.rare_values) if enc is not None else []:
            if str(v) == str(text):
                return v
        return text

    def _via_sources(self, conditions: Mapping[str, Any]) -> dict[str, Any]:
        """A condition on a derived column becomes one on its source (one-to-one pairings only)."""
        if not isinstance(conditions, Mapping):
            raise ConditionError(f"conditions: expected a mapping of column -> value, got {type(conditions).__name__}")
        out = dict(conditions)
        for d in self.dependencies_:
            if d.target not in out:
                continue
            value = out.pop(d.target)
            source = d.source_value_of(value) if d.one_to_one else None
            if source is None:
                raise ConditionError(f"cannot condition on {d.target!r} = {value!r}: {d.target!r} is derived from "
                                     f"{d.source!r}; condition on {d.source!r} instead")
            if d.source in out and out[d.source] != source:
                raise ConditionError(f"conditions {d.source!r} = {out[d.source]!r} and {d.target!r} = {value!r} "
                                     "contradict each other in the real data")
            out[d.source] = source
        return out

    def _condition_codes(self, conditions: Mapping[str, Any]) -> dict[int, int]:
        if not isinstance(conditions, Mapping):
            raise ConditionError(f"conditions: expected a mapping of column -> value, got {type(conditions).__name__}")
        discrete = list(self.transformer_.layout_.discrete_columns)
        fixed = {}
        for col, value in conditions.items():
            if col not in discrete:
                kind = next((c.kind.value for c in self.schema_.columns if c.name == col), None)
                why = f"it is {kind}" if kind else "it is not a column of the data"
                raise ConditionError(f"cannot condition on {col!r}: {why}; conditions work on the discrete "
                                     f"columns {discrete}")
            code = self.transformer_.discrete_[col].code_of(value)
            if code is None:
                raise ConditionError(rc.unknown_value(self.transformer_.discrete_[col], col, value))
            fixed[rc.cond_index(self.transformer_.layout_)[(col, False)]] = code
        return fixed

    def _check_fitted(self) -> None:
        if not hasattr(self, "generator_"):
            raise NotFittedError("this TabularGAN is not fitted: call fit(data) or TabularGAN.load(folder) first")

    # ---------------------------------------------------------- persistence
    def save(self, directory: str | Path) -> Path:
        """Write the model folder (atomically): weights, config, transformer, schema, manifest, losses."""
        from synthgan.synthesizers.tabular_io import save_model
        self._check_fitted()
        return save_model(self, Path(directory))

    @classmethod
    def load(cls, directory: str | Path, device: str = "auto") -> "TabularGAN":
        """Load a folder written by :meth:`save`; a model trained on a GPU loads on a CPU."""
        from synthgan.synthesizers.tabular_io import load_model
        return load_model(cls, Path(directory), device)


def _condition_rows(encoded: Encoded, transformer: TableTransformer, limit: int,
                    rng: np.random.Generator) -> np.ndarray | None:
    """The discrete codes of up to ``limit`` training rows drawn without replacement, (m, n_cond)
    int32, kept with the model to condition free rows as in training (None when ``limit`` is 0)."""
    spans = transformer.layout_.cond_spans
    if limit == 0 or len(spans) == 0:
        return None
    rows = rng.choice(len(encoded), size=min(limit, len(encoded)), replace=False)
    return np.ascontiguousarray(encoded.codes[np.sort(rows)][:, spans]).astype(np.int32)


def _holding(out: pd.DataFrame, values: Mapping[str, Any]) -> pd.DataFrame:
    """``out`` with each column of ``values`` holding its value in every row, in the column's dtype."""
    for col, value in values.items():
        out[col] = pd.Series([value] * len(out), dtype=object).astype(out[col].dtype)
    return out


def _keep_known(generated: pd.Series, known: pd.Series, present: np.ndarray) -> pd.Series:
    """``generated`` with the known cells put back exactly, in the generated column's dtype when
    it can hold them, else in the known column's."""
    values = known.reset_index(drop=True)
    out = generated.copy()
    try:
        out[present] = values[present].astype(generated.dtype).to_numpy()
        return out
    except (TypeError, ValueError):
        merged = generated.astype(object)
        merged[present] = values[present].to_numpy()
        return merged


def _adapt_batch(n_rows: int, batch_size: int, pac: int) -> tuple[int, int]:
    """A batch no larger than the data and divisible by the pack size (packing off for tiny data)."""
    batch = min(batch_size, n_rows)
    if batch < 2 * pac:
        pac = 1
    batch = max(2, batch // pac * pac)
    return batch, pac


def _torch_gen(seq: np.random.SeedSequence, device: torch.device) -> torch.Generator:
    g = torch.Generator(device=device)
    g.manual_seed(int(seq.generate_state(1, dtype=np.uint64)[0] % (2**63)))
    return g
