"""ImageGAN: class-conditional images for augmenting classifiers.

A DCGAN-style generator with a class embedding; a projection discriminator with spectral
normalisation; hinge loss; differentiable augmentation (DiffAugment: translation and brightness,
applied alike to real and fake images) so small datasets do not let the discriminator memorise;
an EMA generator with BatchNorm statistics re-estimated. Trained by the shared adversarial loop.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F

from synthgan.errors import ConditionError, DataError
from synthgan.ingest.images import ImageData, crop, encode_png, read_images
from synthgan.models.common import build_seeded
from synthgan.models.image import ImageDiscriminator, ImageGenerator
from synthgan import files as io
from synthgan.synthesizers import persistence
from synthgan.synthesizers import base
from synthgan.synthesizers.base import Settings, Synthesizer
from synthgan.train import distributed
from synthgan.train.device import resolve_device
from synthgan.train.loop import AdversarialTrainer, Batch, recalibrate_batchnorm

FORMAT = "synthgan.image/1"


class ImageProblem:
    """The image half of a GAN fit. Rows are flat images in [-1, 1]; the condition is the one-hot label.

    With ``mode_seeking`` > 0 the batch is drawn in two halves of the same labels (row i and row
    i + B/2 share a class) and the generator is also asked to keep the images of each pair apart in
    proportion to the distance of their noise vectors (Mao et al., 2019, "Mode seeking GANs"):
    a conditional generator otherwise tends to draw one prototype per class.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, n_classes: int, cfg: Settings,
                 np_rng: np.random.Generator, torch_rng: torch.Generator) -> None:
        self.images, self.labels, self.k, self.cfg = images, labels, n_classes, cfg
        self.np_rng, self.rng = np_rng, torch_rng
        self.batch = min(cfg.batch_size, len(images))
        self.shape = images.shape[1:]
        self.pairs = cfg.mode_seeking > 0 and self.batch >= 4
        if self.pairs:
            self.batch -= self.batch % 2
            y = self.labels_np = labels.cpu().numpy()         # host copy: no device sync per batch
            self.by_class = np.argsort(y, kind="stable")
            self.starts = np.searchsorted(y[self.by_class], np.arange(n_classes))
            self.counts = np.bincount(y, minlength=n_classes)

    def real_batch(self) -> Batch:
        if self.pairs:
            first = self.np_rng.integers(len(self.images), size=self.batch // 2)
            y1 = self.labels_np[first]
            second = self.by_class[self.starts[y1] + self.np_rng.integers(self.counts[y1])]
            idx = np.concatenate([first, second])
        else:
            idx = self.np_rng.integers(len(self.images), size=self.batch)
        idx = torch.as_tensor(idx, device=self.images.device)
        y = self.labels[idx]
        return Batch(self.images[idx].flatten(1), F.one_hot(y, self.k).float(), y)

    def generate(self, generator, batch: Batch):
        z = torch.randn((len(batch.extra), self.cfg.noise_dim), generator=self.rng, device=self.images.device)
        fake = generator(z, batch.extra).flatten(1)
        return fake, (z, fake)

    def generator_loss(self, aux, batch: Batch) -> torch.Tensor:
        if not self.pairs:
            return torch.zeros((), device=self.images.device)
        (z, fake), h = aux, self.batch // 2
        ratio = (fake[:h] - fake[h:]).abs().mean(1) / (z[:h] - z[h:]).abs().mean(1)
        return self.cfg.mode_seeking / (ratio.mean() + 1e-5)

    def critic_input(self, rows: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        if self.cfg.augment:
            rows = diff_augment(rows.view(-1, *self.shape), self.rng).flatten(1)
        return torch.cat([rows, cond.to(rows.dtype)], dim=1)

    def calibration_inputs(self, n_batches: int):
        for _ in range(n_batches):
            y = self.labels[torch.as_tensor(self.np_rng.integers(len(self.labels), size=self.batch),
                                            device=self.labels.device)]
            yield torch.randn((len(y), self.cfg.noise_dim), generator=self.rng, device=self.images.device), y


def diff_augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random brightness and translation (up to 1/8 of the side, zero fill), differentiable in x."""
    b, _, h, w = x.shape
    x = x + (torch.rand((b, 1, 1, 1), generator=gen, device=x.device) - 0.5) * 0.5
    shift = max(1, h // 8)
    dx = torch.randint(-shift, shift + 1, (b,), generator=gen, device=x.device)
    dy = torch.randint(-shift, shift + 1, (b,), generator=gen, device=x.device)
    pad = F.pad(x, (shift, shift, shift, shift))
    rows = (torch.arange(h, device=x.device)[None, :] + shift - dy[:, None])            # (B, H)
    cols = (torch.arange(w, device=x.device)[None, :] + shift - dx[:, None])            # (B, W)
    idx_b = torch.arange(b, device=x.device)[:, None, None]
    return pad.permute(0, 2, 3, 1)[idx_b, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)


class ImageGAN(Synthesizer):
    """Class-conditional image GAN; ``sample(n, conditions={"label": k})`` gives n images of class k.

    The constructor stores its settings; ``fit`` checks them. Learned state ends in ``_``.

    Parameters
    ----------
    epochs : int
        Passes over the images.
    batch_size : int
        Images per batch (shrunk to the data).
    noise_dim : int
        Size of the generator's noise vector.
    width : int
        Channels of the networks' widest layer.
    lr_g, lr_d : float
        Adam learning rates of the generator and the discriminator.
    d_steps : int
        Discriminator updates per generator update.
    ema_decay : float
        Decay of the generator's exponential moving average (the sampling copy), in [0, 1).
    augment : bool
        DiffAugment (translation, brightness) of real and fake images.
    mode_seeking : float
        Weight of the mode-seeking term that keeps two images of one class apart (0: off).
    random_state : int, optional
        Seed of everything the fit draws.
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"mps"``.
    verbose : bool
        Show a progress bar while training.
    """

    _checks = {"noise_dim": base.positive_int, "width": base.positive_int, "mode_seeking": base.non_negative}

    def __init__(self, *, epochs: int = 100, batch_size: int = 64, noise_dim: int = 64, width: int = 64,
                 lr_g: float = 2e-4, lr_d: float = 2e-4, d_steps: int = 1, ema_decay: float = 0.999,
                 augment: bool = True, mode_seeking: float = 0.1, random_state: int | None = None,
                 device: str = "auto", verbose: bool = False) -> None:
        self.epochs, self.batch_size, self.noise_dim, self.width = epochs, batch_size, noise_dim, width
        self.lr_g, self.lr_d, self.d_steps, self.ema_decay = lr_g, lr_d, d_steps, ema_decay
        self.augment, self.mode_seeking = augment, mode_seeking
        self.random_state, self.device, self.verbose = random_state, device, verbose

    def fit(self, images, labels=None, resize: int | None = None) -> "ImageGAN":
        """Learn class-conditional images.

        Parameters
        ----------
        images : array, path or DataFrame
            uint8 (N, H, W) / (N, H, W, C), a class-folder tree, or a Parquet file with ``image``
            (PNG/JPEG bytes) and ``label`` columns.
        labels : array, optional
            One label per image (with an array of images).
        resize : int, optional
            Resize every image to this side (mixed sizes).

        Returns
        -------
        ImageGAN
            ``self``, fitted.
        """
        cfg = self.settings_ = self.validate_params()
        data = read_images(images, labels, resize)
        if len(data.images) < 10:
            raise DataError(f"{len(data.images)} images; ImageGAN needs at least 10")
        self.classes_, self.height_, self.width_ = data.classes, data.height, data.width
        self.size_, self.channels_ = data.size, data.channels
        seed = self._fit_seed(cfg)
        s_init, s_train, s_sample = np.random.SeedSequence(seed).spawn(3)
        self.seed_, self.device_ = seed, resolve_device(cfg.device)
        self.frequencies_ = [float(np.mean(data.labels == c)) for c in self.classes_]
        self._train(data, s_init, distributed.rank_seed(s_train))
        self._sample_seq_ = s_sample
        return self

    def _nets(self, init: torch.Generator):
        c = self.settings_
        g = build_seeded(lambda: ImageGenerator(c.noise_dim, len(self.classes_), self.size_, self.channels_, c.width),
                         init, self.device_)
        d = build_seeded(lambda: ImageDiscriminator(len(self.classes_), self.size_, self.channels_, c.width),
                         init, self.device_)
        return g, d

    def _train(self, data: ImageData, s_init, s_train) -> None:
        cfg, dev = self.settings_, self.device_
        init = torch.Generator().manual_seed(int(s_init.generate_state(1)[0]))
        self.generator_, critic = self._nets(init)
        x = torch.as_tensor(data.images, device=dev).permute(0, 3, 1, 2).float() / 127.5 - 1.0
        index = {c: i for i, c in enumerate(self.classes_)}
        y = torch.as_tensor([index[v] for v in data.labels.tolist()], device=dev)
        torch_rng = torch.Generator(device=dev).manual_seed(int(s_train.generate_state(1)[0]))
        problem = ImageProblem(x, y, len(self.classes_), cfg, np.random.default_rng(s_train), torch_rng)
        tc = self._trainer_config(cfg, cfg.epochs, max(len(x) // problem.batch, 1), betas=(0.0, 0.99), pac=1,
                                  loss="hinge")
        trainer = AdversarialTrainer(self.generator_, critic, problem, tc, dev, torch_rng)
        t0 = time.perf_counter()
        self.history_ = trainer.fit()
        recalibrate_batchnorm(trainer.ema, problem.calibration_inputs(20))
        self.train_seconds_ = time.perf_counter() - t0
        self.generator_ = trainer.ema

    def sample_array(self, n: int, conditions: Mapping[str, Any] | None = None,
                     random_state: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(uint8 images (n, H, W, C) at the original size, labels)."""
        self._check_fitted()
        n = self._check_count(n)
        seq = self._sample_stream(random_state)
        rng = np.random.default_rng(seq)
        y = self._labels(n, conditions or {}, rng)
        gen = torch.Generator(device=self.device_).manual_seed(int(seq.generate_state(1)[0]))
        with torch.no_grad():
            z = torch.randn((n, self.settings_.noise_dim), generator=gen, device=self.device_)
            out = self.generator_(z, torch.as_tensor(y, device=self.device_)) if n else \
                torch.zeros((0, self.channels_, self.size_, self.size_))
        imgs = ((out.float().clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()
        return crop(imgs, self.height_, self.width_), np.asarray(self.classes_, dtype=object)[y]

    def sample(self, n: int, conditions: Mapping[str, Any] | None = None,
               random_state: int | None = None) -> pd.DataFrame:
        """``n`` images as a frame with ``image`` (struct with PNG ``bytes``) and ``label`` columns;
        ``conditions={"label": k}`` makes them all of class ``k`` (else the real class frequencies)."""
        imgs, labels = self.sample_array(n, conditions, random_state)
        return pd.DataFrame({"image": [{"bytes": encode_png(im)} for im in imgs], "label": list(labels)})

    def _labels(self, n: int, conditions: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
        unknown = set(conditions) - {"label"}
        if unknown:
            raise ConditionError(f"cannot condition on {sorted(unknown)}: images are conditioned on 'label' only")
        if "label" in conditions:
            value = conditions["label"]
            match = [i for i, c in enumerate(self.classes_) if c == value or str(c) == str(value)]
            if not match:
                raise ConditionError(f"unknown label {value!r}; valid labels are {self.classes_}")
            return np.full(n, match[0], dtype=np.int64)
        return rng.choice(len(self.classes_), size=n, p=np.asarray(self.frequencies_) / sum(self.frequencies_))

    # ---------------------------------------------------------- persistence
    def save(self, directory: str | Path) -> Path:
        self._check_fitted()
        directory = Path(directory)
        classes = [c.item() if isinstance(c, np.generic) else c for c in self.classes_]
        with io.AtomicFolder(directory) as tmp:
            io.save_weights(tmp / "generator.safetensors", self.generator_.state_dict())
            io.write_json(tmp / "config.json", {
                "format": FORMAT, "hyperparameters": self.settings_.to_dict(), "seed": self.seed_, "classes": classes,
                "frequencies": self.frequencies_, "height": self.height_, "width": self.width_,
                "size": self.size_, "channels": self.channels_})
            io.write_manifest(tmp, {
                "format": FORMAT, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "library_versions": io.library_versions(), "seed": self.seed_,
                "train_seconds": round(self.train_seconds_, 3), "epochs": len(self.history_)})
        return directory

    @classmethod
    def load(cls, directory: str | Path, device: str = "auto") -> "ImageGAN":
        directory = Path(directory)
        cfg = persistence.read_model_config(directory, FORMAT)
        with persistence.malformed_model(directory):
            gan = cls.from_settings(cfg["hyperparameters"], device=device)
            gan.device_, gan.seed_ = resolve_device(device), cfg["seed"]
            gan.classes_, gan.frequencies_ = cfg["classes"], cfg["frequencies"]
            gan.height_, gan.width_, gan.size_, gan.channels_ = cfg["height"], cfg["width"], cfg["size"], cfg["channels"]
            gan.generator_, _ = gan._nets(torch.Generator().manual_seed(0))
            gan.generator_.load_state_dict(io.load_weights(directory / "generator.safetensors", gan.device_))
            gan.generator_.eval().requires_grad_(False)
            gan.history_ = []
            gan.train_seconds_ = io.read_json(directory / "manifest.json").get("train_seconds", 0.0)
            gan._sample_seq_ = np.random.SeedSequence(gan.seed_).spawn(3)[2]
            return gan
