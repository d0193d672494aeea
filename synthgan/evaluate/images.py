"""Metrics for synthetic labelled images; no pretrained weights are downloaded.

A small CNN is trained on the real training images; with it:

- conditional accuracy: the share of generated images it labels as the class they were asked for;
- classification accuracy score (CAS): the same CNN trained on synthetic images, tested on real
  holdout images, against one trained on real images;
- Frechet distance between real-holdout and synthetic images in the real-trained CNN's
  penultimate features (an FID without Inception);
- per-class diversity: mean pairwise feature distance within each class, synthetic over real
  (well below 1 flags mode collapse).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from synthgan.ingest.images import pad_square


class SmallCNN(nn.Module):
    def __init__(self, channels: int, size: int, n_classes: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * (size // 2) ** 2, 128), nn.ReLU())
        self.head = nn.Linear(128, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def _tensor(images: np.ndarray) -> torch.Tensor:
    arr = images if images.ndim == 4 else images[..., None]
    return torch.as_tensor(pad_square(arr)).permute(0, 3, 1, 2).float() / 255.0


def train_classifier(images: np.ndarray, labels: np.ndarray, n_classes: int, seed: int = 0,
                     epochs: int = 15, batch: int = 64) -> SmallCNN:
    from synthgan.models.common import build_seeded
    x, y = _tensor(images), torch.as_tensor(labels, dtype=torch.long)
    gen = torch.Generator().manual_seed(seed)
    net = build_seeded(lambda: SmallCNN(x.shape[1], x.shape[2], n_classes), gen, torch.device("cpu"))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=gen).split(batch):
            opt.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
            opt.step()
    return net.eval()


@torch.no_grad()
def _predict(net: SmallCNN, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = _tensor(images)
    feats = torch.cat([net.features(c) for c in x.split(512)])
    return net.head(feats).argmax(1).numpy(), feats.numpy().astype(np.float64)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    from scipy import linalg
    mu1, mu2 = a.mean(0), b.mean(0)
    eps = 1e-6 * np.eye(a.shape[1])              # few images or dead features: keep the product invertible
    s1, s2 = np.cov(a, rowvar=False) + eps, np.cov(b, rowvar=False) + eps
    covmean, _ = linalg.sqrtm(s1 @ s2, disp=False)
    covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2.0 * covmean))


def _diversity(feats: np.ndarray, rng: np.random.Generator, pairs: int = 2000) -> float:
    if len(feats) < 2:
        return 0.0
    i, j = rng.integers(len(feats), size=pairs), rng.integers(len(feats), size=pairs)
    keep = i != j
    return float(np.linalg.norm(feats[i[keep]] - feats[j[keep]], axis=1).mean())


@dataclass
class ImageEvaluation:
    conditional_accuracy: float
    cas: float
    real_accuracy: float
    cas_ratio: float
    frechet_distance: float
    frechet_distance_real: float          # holdout against training images: the floor to compare with
    diversity_ratio: dict[str, float]

    def to_dict(self) -> dict:
        return asdict(self)


def evaluate_images(train: np.ndarray, train_labels: np.ndarray, holdout: np.ndarray, holdout_labels: np.ndarray,
                    synthetic: np.ndarray, synthetic_labels: np.ndarray, classes: list, seed: int = 0,
                    epochs: int = 15) -> ImageEvaluation:
    """All metrics of the module docstring; labels are given as values of ``classes``."""
    index = {c: i for i, c in enumerate(classes)}
    code = lambda labels: np.asarray([index[v] for v in np.asarray(labels).tolist()])  # noqa: E731
    ytr, yho, ysy = code(train_labels), code(holdout_labels), code(synthetic_labels)
    real_net = train_classifier(train, ytr, len(classes), seed, epochs)
    pred_syn, f_syn = _predict(real_net, synthetic)
    pred_ho, f_ho = _predict(real_net, holdout)
    _, f_tr = _predict(real_net, train)
    syn_net = train_classifier(synthetic, ysy, len(classes), seed, epochs)
    cas = float((_predict(syn_net, holdout)[0] == yho).mean())
    real_acc = float((pred_ho == yho).mean())
    rng = np.random.default_rng(seed)
    diversity = {}
    for c, name in enumerate(classes):
        real_d = _diversity(f_ho[yho == c], rng)
        diversity[str(name)] = _diversity(f_syn[ysy == c], rng) / real_d if real_d > 0 else float("nan")
    return ImageEvaluation(float((pred_syn == ysy).mean()), cas, real_acc, cas / real_acc if real_acc else 0.0,
                           frechet_distance(f_ho, f_syn), frechet_distance(f_ho, f_tr), diversity)
