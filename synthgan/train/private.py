"""Differentially private training of the critic with Opacus (DP-SGD).

The critic is the only network that reads real rows, so it alone is trained with DP-SGD; the
generator learns from the critic's output only (post-processing, no privacy cost). Opacus does
the privacy machinery: :class:`opacus.optimizers.DPOptimizer` clips every per-sample gradient to
``max_grad_norm`` and adds Gaussian noise of ``noise_multiplier * max_grad_norm``;
:func:`opacus.accountants.utils.get_noise_multiplier` calibrates the noise so that the planned
steps spend exactly the budget; the accountant (RDP or PRV) states what was spent; batches are
Poisson samples (every row joins a batch with probability ``sample_rate``, drawn from the fit's
seeded generator), as the accountant assumes.

What changes in the critic step, and why:

* **The privacy unit is one real row.** The Wasserstein loss goes through Opacus as per-sample
  losses, ``-D(real_i)`` for each real row and ``D(fake_j)`` for each generated row: per-sample
  gradients from its hooks (:class:`opacus.GradSampleModule`), each clipped to the same norm,
  summed, noised and divided by the expected number of samples by the DPOptimizer. A real row's
  influence is its one clipped gradient; the generated rows read no real row (the generator and
  their conditions are post-processing of earlier DP steps) and are clipped alike only so that
  neither half of the loss outweighs the other. The penalty ``gp_weight * (||grad D(fake)|| -
  1)^2`` reads generated rows alone: its exact gradient is added after the noise.
* **The gradient penalty is taken at generated rows only** (an R2-style penalty) instead of at
  interpolates of real and generated rows: an interpolate's penalty is a per-sample term with a
  double backward, which Opacus' hooks cannot take; at generated rows it costs no privacy.
* **No packing (pac = 1)**: a pack mixes rows, and with Poisson batches adding one row would shift
  which rows share a pack, so no per-pack clip would bound one row's influence.
* **Conditions**: a real row's condition is one of its own discrete values (one column drawn
  uniformly), so it depends on that row only; generated rows are conditioned on values drawn from
  the model's category frequencies (the same law: a column drawn uniformly, then its level at its
  frequency), never on real rows. Stored real condition rows (used without DP to sample the real
  joint of the discrete columns) are not kept.
* **Dropout stays in the critic** (a row's mask is its own): without it, Adult's utility ratio
  at epsilon 3 fell from 0.836 to 0.625 on one seed (bench/dp_adult.py settings).
* **Logged critic loss** is NaN: the un-noised loss on real rows would be a statistic of them.
* **Metadata**: the transformer (category sets and frequencies, numeric bounds, mixture fits,
  point masses, column dependencies) is fitted on the data and treated as public metadata: the
  budget covers what the networks learn from the rows, not those statistics (see the README).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from synthgan.errors import ConfigError
from synthgan.train.loop import AdversarialTrainer, Batch, TrainConfig

ACCOUNTANTS = ("rdp", "prv")
# Above this the per-step noise is 50 times the largest gradient a row may have: the critic learns
# nothing from the data. A budget that needs more is refused before training.
MAX_NOISE_MULTIPLIER = 50.0
# What the transformer (category sets and frequencies, numeric bounds, mixture fits, point masses,
# column dependencies) is, under DP: taken from the data and treated as public metadata.
METADATA = "public"


@dataclass(frozen=True)
class PrivacySpec:
    """A DP budget: ``(epsilon, delta)`` for the whole training, per-sample clipping norm and the
    accountant that states what was spent."""

    epsilon: float
    delta: float
    max_grad_norm: float = 1.0
    accountant: str = "rdp"

    @classmethod
    def parse(cls, spec: Any, field: str = "privacy") -> "PrivacySpec | None":
        """``None`` or a mapping ``{epsilon, delta, max_grad_norm?, accountant?}``; every fault is a
        ConfigError naming the key."""
        if spec is None:
            return None
        if isinstance(spec, PrivacySpec):
            return spec
        if not isinstance(spec, Mapping):
            raise ConfigError(f"{field}: expected a mapping {{epsilon, delta}}, got {type(spec).__name__}")
        unknown = sorted(set(spec) - {"epsilon", "delta", "max_grad_norm", "accountant"})
        if unknown:
            raise ConfigError(f"{field}: unknown key(s) {unknown}; expected epsilon, delta, max_grad_norm, accountant")
        for key in ("epsilon", "delta"):
            if key not in spec:
                raise ConfigError(f"{field}.{key}: required (e.g. {{epsilon: 3.0, delta: 1e-5}})")
        out = {}
        for key in ("epsilon", "delta", "max_grad_norm"):
            if key not in spec:
                continue
            v = spec[key]
            if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) or not math.isfinite(float(v)) or v <= 0:
                raise ConfigError(f"{field}.{key}: expected a positive number, got {v!r}")
            out[key] = float(v)
        if out["delta"] >= 1:
            raise ConfigError(f"{field}.delta: expected a number below 1 (and below 1 / rows), got {out['delta']!r}")
        acc = spec.get("accountant", "rdp")
        if acc not in ACCOUNTANTS:
            raise ConfigError(f"{field}.accountant: expected one of {list(ACCOUNTANTS)}, got {acc!r}")
        return cls(accountant=acc, **out)

    def to_dict(self) -> dict:
        return asdict(self)


Mechanism = tuple[float, float, int]     # (noise multiplier, sample rate, steps) of one DP-SGD training


def noise_for(spec: PrivacySpec, rows: int, sample_rate: float, steps: int,
              before: Sequence[Mechanism] = ()) -> float:
    """The noise multiplier that spends ``spec``'s budget in ``steps`` Poisson-sampled steps at
    ``sample_rate`` (Opacus' calibration); a ConfigError, before any training, when no such noise
    lets the critic learn (see MAX_NOISE_MULTIPLIER) or delta is not below 1 / rows.

    ``before``: DP trainings on the same rows that spend part of the budget first (a time-series
    model's static attributes); the noise is then the least whose composition with them, in the
    accountant, stays within the budget."""
    from opacus.accountants.utils import get_noise_multiplier
    if spec.delta >= 1.0 / rows:
        raise ConfigError(f"privacy.delta: {spec.delta:g} is not below 1 / rows = {1.0 / rows:.3g} ({rows:,} rows); "
                          "a delta that large allows releasing a row outright; use e.g. 1e-5 or less")
    budget = f"epsilon = {spec.epsilon:g}, delta = {spec.delta:g}"
    history = list(before)
    # the least epsilon any allowed noise gives
    at_most = spent(spec, [*history, (MAX_NOISE_MULTIPLIER, sample_rate, steps)])
    if at_most > spec.epsilon:
        first = f" after the {sum(t for _, _, t in history):,} steps spent before them" if history else ""
        raise ConfigError(f"privacy: {budget} cannot be met by {steps:,} critic steps at sample rate {sample_rate:.4g}"
                          f"{first}: even noise {MAX_NOISE_MULTIPLIER:g} times the clipping norm spends epsilon "
                          f"{at_most:.3g}, and more noise leaves the critic nothing to learn; raise epsilon, or lower "
                          "epochs / min_steps (or the batch size)")
    if not history:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # Opacus warns about optimal RDP orders at the edges
            sigma = get_noise_multiplier(target_epsilon=spec.epsilon, target_delta=spec.delta,
                                         sample_rate=sample_rate, steps=steps, accountant=spec.accountant)
        return float(sigma)
    # Composition with the earlier trainings: bisection on the noise, as Opacus' own calibration
    # does, each candidate judged by the accountant over the whole history.
    lo, hi = 0.0, MAX_NOISE_MULTIPLIER
    while hi - lo > 0.01 * hi:
        mid = (lo + hi) / 2
        if mid > 0 and spent(spec, [*history, (mid, sample_rate, steps)]) <= spec.epsilon:
            hi = mid
        else:
            lo = mid
    return float(hi)


def spent(spec: PrivacySpec, noise_multiplier: float | Sequence[Mechanism], sample_rate: float = 0.0,
          steps: int = 0) -> float:
    """Epsilon spent, at ``spec.delta``, by ``steps`` steps at ``noise_multiplier`` and ``sample_rate``,
    or by a sequence of such trainings on the same rows, composed (Opacus' accountant)."""
    from opacus.accountants.utils import create_accountant
    history = [(noise_multiplier, sample_rate, steps)] if not isinstance(noise_multiplier, Sequence) else \
        list(noise_multiplier)
    history = [(float(s), float(q), int(t)) for s, q, t in history if t > 0]
    if not history:
        return 0.0
    accountant = create_accountant(mechanism=spec.accountant)
    accountant.history = history
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(accountant.get_epsilon(delta=spec.delta))


def dp_optimizer(optimizer: torch.optim.Optimizer, noise_multiplier: float, max_grad_norm: float,
                 expected_batch_size: int, generator: torch.Generator):
    """``optimizer`` wrapped in Opacus' DPOptimizer: per-sample clipping, seeded Gaussian noise,
    the sum divided by the expected (not the drawn) batch size, as Poisson sampling needs."""
    from opacus.optimizers import DPOptimizer
    return DPOptimizer(optimizer, noise_multiplier=noise_multiplier, max_grad_norm=max_grad_norm,
                       expected_batch_size=expected_batch_size, loss_reduction="mean", generator=generator)


def backward(loss: torch.Tensor) -> None:
    """``loss.backward()`` through Opacus' hooks, without torch's warning at every step that the
    network's inputs need no gradient (they are data)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Full backward hook is firing")
        loss.backward()


class PrivateCriticTrainer(AdversarialTrainer):
    """:class:`AdversarialTrainer` with the critic trained by DP-SGD (see the module docstring).

    The problem is a PrivateTabularProblem (synthgan.synthesizers.tabular.problem) or a
    PrivateSeriesProblem (synthgan.synthesizers.timeseries): ``real_batch`` draws a Poisson sample
    of real rows (or series), each under its own condition; ``public_batch``, conditions drawn
    without real rows.
    """

    def __init__(self, generator: nn.Module, critic: nn.Module, problem, config: TrainConfig,
                 device: torch.device, torch_rng: torch.Generator, noise_multiplier: float, max_grad_norm: float,
                 expected_batch_size: int) -> None:
        from opacus import GradSampleModule

        from synthgan.train import distributed
        if distributed.world_size() > 1:
            raise ConfigError("privacy: DP training runs in one process; under torchrun the ranks' batches would "
                              "not be one Poisson sample (run without torchrun)")
        # Opacus' per-sample gradients (hooks on the critic's layers), summed: loss_reduction "sum"
        super().__init__(generator, GradSampleModule(critic, loss_reduction="sum"), problem, config, device,
                         torch_rng)
        # The noise comes from the trainer's own generator: it is checkpointed, so a resumed fit
        # draws the same noise as an uninterrupted one.
        # A step's samples are the Poisson batch of real rows (expected size B) and B generated rows.
        self.opt_d = dp_optimizer(self.opt_d, noise_multiplier, max_grad_norm, 2 * expected_batch_size, torch_rng)
        self.opt_d.attach_step_hook(self._add_public_grads)
        self._public: list[torch.Tensor] | None = None
        self.amp = False

    @property
    def critic_steps(self) -> int:
        """DP-SGD steps taken (the generator steps times d_steps; restored with a checkpoint)."""
        return self.step * self.cfg.d_steps

    def _add_public_grads(self, optimizer) -> None:
        """After Opacus has clipped, noised and scaled the real rows' gradients: add the generated
        rows' part of the critic's gradient, which reads no real row."""
        for p, g in zip(optimizer.params, self._public):
            p.grad += g

    def d_step(self, batch: Batch, fake: torch.Tensor, fake_cond: torch.Tensor | None = None) -> float:
        """One DP-SGD critic update: the per-sample losses ``D(fake_j)`` and ``-D(real_i)`` through
        Opacus (each clipped alike, so neither half outweighs the other; the generated rows cost
        no privacy, a real row's influence is bounded by its one clipped gradient), plus the
        penalty ``gp_weight * (||grad D(fake)|| - 1)^2`` on the generated rows alone, exactly."""
        critic = self.d
        params = [p for p in critic.parameters() if p.requires_grad]
        self.opt_d.zero_grad(set_to_none=True)
        fake_in = self.problem.critic_input(fake.detach().float(), fake_cond)
        critic.disable_hooks()                  # the penalty: no per-sample gradients
        try:
            x = fake_in.clone().requires_grad_(True)
            (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
            gp = ((torch.sqrt((g * g).sum(dim=1) + 1e-12) - 1.0) ** 2).mean()
            grads = torch.autograd.grad(self.cfg.gp_weight * gp, params, allow_unused=True)
            self._public = [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)]
        finally:
            critic.enable_hooks()
        real_in = self.problem.critic_input(batch.real, batch.cond)
        out = critic(torch.cat([fake_in, real_in]))
        n_fake = fake_in.shape[0]
        backward(out[:n_fake].sum() - out[n_fake:].sum())
        self.opt_d.step()
        return float("nan")

    def g_step(self, batch: Batch, fake: torch.Tensor, aux) -> tuple[float, float]:
        self.d.disable_hooks()                   # the critic's weights are not trained here
        try:
            return super().g_step(batch, fake, aux)
        finally:
            self.d.enable_hooks()

    def train_step(self) -> tuple[float, float, float]:
        """``d_steps`` DP critic updates, each on a Poisson batch of real rows (under their own
        conditions) and generated rows (under conditions drawn without real rows), then one
        generator update on the last generated rows."""
        for i in range(self.cfg.d_steps):
            real, public = self.problem.real_batch(), self.problem.public_batch()
            with torch.set_grad_enabled(i == self.cfg.d_steps - 1):
                fake, aux = self.problem.generate(self.g, public)
            self.d_step(real, fake, public.cond)
        adv, extra = self.g_step(public, fake, aux)
        return float("nan"), adv, extra
