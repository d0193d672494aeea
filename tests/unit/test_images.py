"""ImageGAN, image ingest and image metrics on scikit-learn's bundled digits."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from synthgan.errors import ConditionError, ConfigError, DataError, NotFittedError
from synthgan.evaluate.images import evaluate_images
from synthgan.ingest.images import images_from_frame, read_images
from synthgan.synthesizers.image import ImageGAN


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return (d.images * 255 / 16).round().astype(np.uint8), d.target


@pytest.fixture(scope="module")
def tiny_gan(digits):
    x, y = digits
    return ImageGAN(epochs=1, random_state=0).fit(x[:300], y[:300])


def _png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def test_arrays_folders_and_parquet_read_alike(tmp_path, digits):
    x, y = digits
    a = read_images(x[:20], y[:20])
    assert a.images.shape == (20, 8, 8, 1) and a.classes == sorted(set(y[:20].tolist()))
    for i in range(20):
        folder = tmp_path / "tree" / f"class{y[i]}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i}.png").write_bytes(_png(x[i]))
    b = read_images(tmp_path / "tree")
    assert b.images.shape == (20, 8, 8, 1) and set(b.labels) == {f"class{v}" for v in y[:20]}
    pd.DataFrame({"image": [{"bytes": _png(x[i])} for i in range(20)], "label": y[:20]}).to_parquet(tmp_path / "d.parquet")
    c = read_images(tmp_path / "d.parquet")
    assert np.array_equal(c.images, a.images) and list(c.labels) == list(y[:20])
    rgb = read_images(np.zeros((3, 10, 12, 3), np.uint8))
    assert rgb.images.shape == (3, 16, 16, 3) and (rgb.height, rgb.width) == (10, 12)


def test_bad_images_get_clear_errors(tmp_path, digits):
    x, _ = digits
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "ok.png").write_bytes(_png(x[0]))
    (tmp_path / "a" / "broken.png").write_bytes(b"not a png at all")
    with pytest.raises(DataError, match="broken.png: not a readable PNG/JPEG image"):
        read_images(tmp_path)
    (tmp_path / "a" / "broken.png").unlink()
    (tmp_path / "a" / "big.png").write_bytes(_png(np.zeros((12, 12), np.uint8)))
    with pytest.raises(DataError, match=r"images have different sizes \(\[\(8, 8\), \(12, 12\)\]\).*pass resize="):
        read_images(tmp_path)
    assert read_images(tmp_path, resize=8).images.shape == (2, 8, 8, 1)
    (tmp_path / "b").mkdir()
    with pytest.raises(DataError, match="class folder with no PNG/JPEG images"):
        read_images(tmp_path, resize=8)
    with pytest.raises(DataError, match="expected 8 to 64"):
        read_images(np.zeros((3, 4, 4), np.uint8))
    with pytest.raises(DataError, match="expected dtype uint8"):
        read_images(np.zeros((3, 8, 8), np.float32))


def test_sample_frame_exact_labels_determinism_and_save_load(tmp_path, tiny_gan):
    df = tiny_gan.sample(12, conditions={"label": 7}, random_state=1)
    assert list(df.columns) == ["image", "label"] and (df["label"] == 7).all()
    arr = images_from_frame(df)
    assert arr.shape == (12, 8, 8) and arr.dtype == np.uint8
    again = tiny_gan.sample(12, conditions={"label": 7}, random_state=1)
    assert np.array_equal(images_from_frame(again), arr)
    tiny_gan.save(tmp_path / "m")
    loaded = ImageGAN.load(tmp_path / "m")
    assert np.array_equal(images_from_frame(loaded.sample(12, conditions={"label": 7}, random_state=1)), arr)
    with pytest.raises(ConditionError, match="unknown label 11"):
        tiny_gan.sample(2, conditions={"label": 11})
    with pytest.raises(ConditionError, match="conditioned on 'label' only"):
        tiny_gan.sample(2, conditions={"colour": 1})
    with pytest.raises(NotFittedError):
        ImageGAN().sample(2)
    with pytest.raises(TypeError, match="unexpected keyword argument 'epoch'"):   # the signature names every setting
        ImageGAN(epoch=2)


def test_training_improves_conditional_accuracy(digits):
    x, y = digits
    judge = LogisticRegression(max_iter=2000).fit(x.reshape(len(x), -1) / 255, y)

    def accuracy(gan):
        imgs, labels = gan.sample_array(500, random_state=3)
        return float((judge.predict(imgs.reshape(500, -1) / 255) == labels.astype(int)).mean())

    untrained = accuracy(ImageGAN(epochs=1, random_state=0, lr_g=1e-12, lr_d=1e-12).fit(x[:600], y[:600]))
    trained = accuracy(ImageGAN(epochs=40, batch_size=32, width=32, random_state=0).fit(x[:600], y[:600]))
    assert untrained < 0.3 and trained > untrained + 0.3


def _class_spread(gan) -> float:
    """Mean pixel distance between two images of the same class, averaged over the classes."""
    out = []
    for c in range(10):
        imgs, _ = gan.sample_array(100, conditions={"label": c}, random_state=3)
        flat = imgs.reshape(100, -1) / 255
        out.append(np.linalg.norm(flat[:50] - flat[50:], axis=1).mean())
    return float(np.mean(out))


def test_mode_seeking_keeps_images_of_a_class_apart(digits):
    x, y = digits
    kw = {"epochs": 40, "batch_size": 32, "width": 32, "random_state": 0}
    plain = _class_spread(ImageGAN(mode_seeking=0.0, **kw).fit(x[:600], y[:600]))
    seeking = _class_spread(ImageGAN(**kw).fit(x[:600], y[:600]))
    real = np.mean([np.linalg.norm((x[y == c][:40] - x[y == c][40:80].astype(float)).reshape(40, -1) / 255,
                                   axis=1).mean() for c in range(10)])
    # measured: 1.12 without the term, 2.09 with it, real digits 2.30
    assert seeking > 1.5 * plain and seeking < 1.3 * real


def test_mode_seeking_batches_pair_rows_of_one_class(digits):
    import torch

    from synthgan.synthesizers.image import ImageGAN, ImageProblem
    x, y = digits
    cfg = ImageGAN(batch_size=31).validate_params()
    problem = ImageProblem(torch.zeros(300, 1, 8, 8), torch.as_tensor(y[:300]), 10, cfg,
                           np.random.default_rng(0), torch.Generator().manual_seed(0))
    batch = problem.real_batch()
    assert len(batch.extra) == 30 and torch.equal(batch.extra[:15], batch.extra[15:])
    with pytest.raises(ConfigError, match="mode_seeking: expected a non-negative number"):
        ImageGAN(mode_seeking=-1).fit(x[:50], y[:50])


def test_image_metrics_separate_faithful_from_mislabelled(digits):
    x, y = digits
    train, hold, other = (x[:600], y[:600]), (x[600:900], y[600:900]), (x[900:1500], y[900:1500])
    good = evaluate_images(*train, *hold, *other, classes=list(range(10)), epochs=5)
    bad = evaluate_images(*train, *hold, other[0], np.roll(other[1], 1), classes=list(range(10)), epochs=5)
    assert good.conditional_accuracy > 0.85 and good.cas_ratio > 0.9
    assert bad.conditional_accuracy < 0.3 and bad.cas_ratio < 0.5
    assert good.frechet_distance < 3 * good.frechet_distance_real + 1.0
    assert set(good.diversity_ratio) == {str(c) for c in range(10)}
