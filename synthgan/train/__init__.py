"""The adversarial loop shared by all modalities."""

from synthgan.train.device import resolve_device
from synthgan.train.loop import AdversarialTrainer, GANProblem, TrainConfig

__all__ = ["AdversarialTrainer", "GANProblem", "TrainConfig", "resolve_device"]
