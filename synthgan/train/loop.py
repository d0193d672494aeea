"""One adversarial trainer for every modality.

A modality supplies a :class:`GANProblem` (how to draw a real batch, run the generator and add its
own generator loss); the trainer owns the device, precision, optimisers, EMA generator, logging
(JSONL), the progress bar and the epoch loop. ``d_step`` and ``g_step`` are small and separate.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from torch import nn

from synthgan.train import checkpoint as ckpt
from synthgan.train import distributed
from synthgan.train.device import amp_dtype, uses_amp
from synthgan.train.losses import gradient_penalty

_log = logging.getLogger("synthgan.train")
LOGGED_EPOCHS = 100     # progress lines a fit writes to the log (Prefect's run log in the pipeline), at most ~this


@dataclass
class TrainConfig:
    """Optimisation settings of one adversarial fit."""

    epochs: int = 300
    steps_per_epoch: int = 1
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.9)
    weight_decay: float = 1e-6
    d_steps: int = 1
    gp_weight: float = 10.0
    gp_fraction: float = 0.5
    pac: int = 10
    ema_decay: float = 0.995
    loss: str = "wgan-gp"          # or "hinge" (no gradient penalty; for spectrally normalised critics)
    verbose: bool = False
    checkpoint_every: int = 10     # epochs between checkpoints, when fit is given a checkpoint folder


@dataclass
class Batch:
    """What one step works on: real rows, their condition, and whatever the problem needs."""

    real: torch.Tensor
    cond: torch.Tensor
    extra: Any = None


class GANProblem(Protocol):
    """The modality-specific half of a GAN fit."""

    def real_batch(self) -> Batch:
        """Draw real rows and their conditions."""

    def generate(self, generator: nn.Module, batch: Batch) -> tuple[torch.Tensor, Any]:
        """Run the generator on fresh noise and ``batch.cond``: (activated fake rows, auxiliary output)."""

    def generator_loss(self, aux: Any, batch: Batch) -> torch.Tensor:
        """Extra generator loss (e.g. the condition cross-entropy); a zero tensor when none."""

    def critic_input(self, rows: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """What the critic reads: rows and their condition combined."""


class AdversarialTrainer:
    """Runs the WGAN-GP loop on a :class:`GANProblem`; keeps an EMA copy of the generator."""

    def __init__(self, generator: nn.Module, critic: nn.Module, problem: GANProblem, config: TrainConfig,
                 device: torch.device, torch_rng: torch.Generator) -> None:
        # Under torchrun both networks train under DistributedDataParallel (see train.distributed):
        # wrapping broadcasts rank 0's weights, so the EMA copy is taken after it.
        self.g, self.d = distributed.wrap(generator, device), distributed.wrap(critic, device)
        self.problem, self.cfg = problem, config
        self.device, self.rng = device, torch_rng
        self.ema = copy.deepcopy(distributed.unwrap(self.g)).eval().requires_grad_(False)
        self.opt_g = torch.optim.Adam(generator.parameters(), lr=config.lr_g, betas=config.betas,
                                      weight_decay=config.weight_decay, **_adam_impl(device))
        self.opt_d = torch.optim.Adam(critic.parameters(), lr=config.lr_d, betas=config.betas,
                                      weight_decay=config.weight_decay, **_adam_impl(device))
        self.amp = uses_amp(device)
        self.amp_dtype = amp_dtype(device)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp and self.amp_dtype == torch.float16)
        self.step = 0
        self.history: list[dict] = []

    def _autocast(self):
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype, enabled=self.amp)

    def d_step(self, batch: Batch, fake: torch.Tensor) -> float:
        """One critic update on a real batch and (detached) fake rows of the same conditions."""
        real_in = self.problem.critic_input(batch.real, batch.cond)
        fake_in = self.problem.critic_input(fake.detach().float(), batch.cond)
        with self._autocast():
            # One critic pass over [fake; real]: packs never straddle the two halves (B % pac == 0).
            scores = self.d(torch.cat([fake_in, real_in])).float()
            n_fake = fake_in.shape[0] // self.cfg.pac
            if self.cfg.loss == "hinge":
                loss = torch.relu(1.0 + scores[:n_fake]).mean() + torch.relu(1.0 - scores[n_fake:]).mean()
            else:
                loss = scores[:n_fake].mean() - scores[n_fake:].mean()
        if self.cfg.loss == "hinge":
            total = loss
        else:
            # The penalty's double backward runs in full precision: it is small and sensitive.
            # Through the bare critic: one DDP forward per backward; the penalty's weight gradients
            # still meet the main loss's in the same backward, where DDP averages them.
            gp = gradient_penalty(distributed.unwrap(self.d), real_in, fake_in, self.cfg.pac, self.rng,
                                  self.cfg.gp_fraction)
            total = loss + self.cfg.gp_weight * gp
        self.opt_d.zero_grad(set_to_none=True)
        self.scaler.scale(total).backward()
        self.scaler.step(self.opt_d)
        self.scaler.update()
        return float(loss.detach())

    def g_step(self, batch: Batch, fake: torch.Tensor, aux: Any) -> tuple[float, float]:
        """One generator update through the freshly updated critic, reusing the step's fake rows."""
        with self._autocast():
            adv = -self.d(self.problem.critic_input(fake, batch.cond)).float().mean()
            extra = self.problem.generator_loss(aux, batch).float()
        self.opt_g.zero_grad(set_to_none=True)
        self.scaler.scale(adv + extra).backward()
        self.scaler.step(self.opt_g)
        self.scaler.update()
        self._update_ema()
        return float(adv.detach()), float(extra.detach())

    def train_step(self) -> tuple[float, float, float]:
        """``d_steps`` critic updates, then one generator update.

        The generator runs once per batch: its output (with its graph) feeds the critic update
        detached, and the last one then feeds the generator update, as in the DCGAN recipe.
        """
        loss_d = 0.0
        for i in range(self.cfg.d_steps):
            batch = self.problem.real_batch()
            last = i == self.cfg.d_steps - 1
            with torch.set_grad_enabled(last), self._autocast():
                fake, aux = self.problem.generate(self.g, batch)
            loss_d += self.d_step(batch, fake) / self.cfg.d_steps
        adv, extra = self.g_step(batch, fake, aux)
        return loss_d, adv, extra

    @torch.no_grad()
    def _update_ema(self) -> None:
        self.step += 1
        # Ramp-up as in StyleGAN: early on the average follows the generator closely.
        decay = min(self.cfg.ema_decay, (1.0 + self.step) / (10.0 + self.step))
        ema_p = list(self.ema.parameters())
        torch._foreach_lerp_(ema_p, [p.detach() for p in self.g.parameters()], 1.0 - decay)
        for b_ema, b in zip(self.ema.buffers(), self.g.buffers()):
            b_ema.copy_(b)

    def fit(self, log_path: Path | None = None, checkpoint: Path | None = None) -> list[dict]:
        """Train for ``config.epochs``; returns (and appends to ``log_path``) one record per epoch.

        With ``checkpoint`` (a folder), the whole training state is saved there every
        ``config.checkpoint_every`` epochs, and a fit that finds one there resumes from it: the
        same seed then ends with the same weights as an uninterrupted fit.
        """
        self.g.train()
        self.d.train()
        start = ckpt.load(self, checkpoint) if checkpoint is not None and (checkpoint / "state.json").exists() else 0
        log = log_path.open("a") if log_path is not None else None
        progress = _progress(self.cfg.verbose)
        every = max(1, self.cfg.epochs // LOGGED_EPOCHS)     # at most ~LOGGED_EPOCHS progress lines in logs
        try:
            with progress:
                task = progress.add_task("training", total=self.cfg.epochs, completed=start, losses="")
                for epoch in range(start, self.cfg.epochs):
                    rec = self._epoch(epoch)
                    self.history.append(rec)
                    if log is not None:
                        log.write(json.dumps(rec) + "\n")
                    progress.update(task, advance=1, losses=(
                        f"D {rec['loss_d']:+.3f}  G {rec['loss_g']:+.3f}  cond {rec['loss_cond']:.3f}"))
                    done = epoch + 1
                    if done % every == 0 or done == self.cfg.epochs:
                        _log.info("training: epoch %d/%d  loss D %+.4f  G %+.4f  cond %.4f  (%.2f s/epoch)", done,
                                  self.cfg.epochs, rec["loss_d"], rec["loss_g"], rec["loss_cond"], rec["seconds"])
                    if checkpoint is not None and done < self.cfg.epochs and done % self.cfg.checkpoint_every == 0:
                        ckpt.save(self, checkpoint, done)
        finally:
            if log is not None:
                log.close()
        return self.history

    def _epoch(self, epoch: int) -> dict:
        t0 = time.perf_counter()
        sums = {"loss_d": 0.0, "loss_g": 0.0, "loss_cond": 0.0}
        for _ in range(self.cfg.steps_per_epoch):
            loss_d, adv, extra = self.train_step()
            sums["loss_d"] += loss_d
            sums["loss_g"] += adv
            sums["loss_cond"] += extra
        n = self.cfg.steps_per_epoch
        return {"epoch": epoch + 1, **{k: v / n for k, v in sums.items()},
                "seconds": round(time.perf_counter() - t0, 4)}

    def config_dict(self) -> dict:
        return asdict(self.cfg)


def _adam_impl(device: torch.device) -> dict:
    """The fused Adam kernel where this torch has it for the device (CPU and CUDA): several times
    faster than the per-tensor loop on small models, whose steps are memory-bound."""
    return {"fused": True} if device.type in ("cpu", "cuda") else {"foreach": True}


def _progress(verbose: bool) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("epochs"), TimeElapsedColumn(), TimeRemainingColumn(),
                    TextColumn("{task.fields[losses]}"), disable=not verbose, transient=False)


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, batches) -> None:
    """Re-estimate BatchNorm statistics of ``model`` (the EMA generator) over ``batches`` of inputs.

    EMA weights and the running statistics gathered with the raw weights disagree; a cumulative
    average over a few forward passes with the final weights fixes that.
    """
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    _recalibrate(model, bns, batches)
    distributed.broadcast_buffers(model)        # under DDP: every rank keeps rank 0's statistics


def _recalibrate(model: nn.Module, bns: list, batches) -> None:
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    for inputs in batches:
        model(*inputs)
    model.eval()
    for m, mom in zip(bns, saved):
        m.momentum = mom
