"""A fit killed part-way resumes from its checkpoint and ends as an uninterrupted fit would."""

import pandas as pd
import pytest
import torch

from synthgan import TabularGAN
from synthgan.train.loop import AdversarialTrainer
from tests.conftest import make_mixed

FAST = dict(epochs=6, min_steps=0, batch_size=100, generator_dim=(32, 32), discriminator_dim=(32, 32), noise_dim=16,
            checkpoint_every=2, random_state=3)


class Killed(Exception):
    pass


@pytest.mark.parametrize("privacy", [None, {"epsilon": 5.0, "delta": 1e-4}], ids=["plain", "dp"])
def test_interrupted_fit_resumes_to_the_same_weights_and_rows(tmp_path, monkeypatch, privacy):
    data = make_mixed(400)
    whole = TabularGAN(**FAST, privacy=privacy).fit(data)

    real_epoch = AdversarialTrainer._epoch

    def dies_in_epoch_5(self, epoch):               # the process "dies" in epoch 5, after the checkpoint at 4
        if epoch == 4:
            raise Killed
        return real_epoch(self, epoch)

    ckpt = tmp_path / "ckpt"
    monkeypatch.setattr(AdversarialTrainer, "_epoch", dies_in_epoch_5)
    with pytest.raises(Killed):
        TabularGAN(**FAST, privacy=privacy).fit(data, checkpoint=ckpt)
    monkeypatch.setattr(AdversarialTrainer, "_epoch", real_epoch)
    assert (ckpt / "state.safetensors").exists() and '"epoch": 4' in (ckpt / "state.json").read_text()

    resumed = TabularGAN(**FAST, privacy=privacy).fit(data, checkpoint=ckpt)
    assert resumed.privacy_spent_ == whole.privacy_spent_            # a DP fit: the same steps, the same budget
    assert not ckpt.exists()                                        # removed once the fit is done
    assert len(resumed.history_) == 6 and [r["epoch"] for r in resumed.history_] == [1, 2, 3, 4, 5, 6]
    for (k, a), (_, b) in zip(whole.generator_.state_dict().items(), resumed.generator_.state_dict().items()):
        assert torch.equal(a, b), k
    pd.testing.assert_frame_equal(whole.sample(300, random_state=1), resumed.sample(300, random_state=1))


def test_a_damaged_checkpoint_is_a_clear_error(tmp_path):
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "state.json").write_text('{"format": "synthgan.checkpoint/1", "epoch": 2}')
    from synthgan.errors import ModelFileError
    with pytest.raises(ModelFileError, match="ckpt.*unusable checkpoint|state.safetensors"):
        TabularGAN(**FAST).fit(make_mixed(200), checkpoint=ckpt)
