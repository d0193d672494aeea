"""A saved model folder is checked on load: every file against the manifest's SHA-256, every
malformed file a ModelFileError naming it, the configuration as strictly as at construction."""

import json

import pytest

from synthgan import TabularGAN
from synthgan.errors import ConfigError, ModelFileError
from tests.conftest import make_mixed, reseal


@pytest.fixture
def saved(tiny_model):
    return tiny_model


def copy_of(saved, tmp_path):
    import shutil
    shutil.copytree(saved, tmp_path / "m")
    return tmp_path / "m"


def test_manifest_lists_the_digest_of_every_file(saved):
    manifest = json.loads((saved / "manifest.json").read_text())
    files = {p.name for p in saved.iterdir()} - {"manifest.json"}
    assert set(manifest["sha256"]) == files and all(len(v) == 64 for v in manifest["sha256"].values())
    TabularGAN.load(saved).sample(5, random_state=0)


@pytest.mark.parametrize("name", ["generator.safetensors", "transformer.json", "conditions.safetensors", "schema.json"])
def test_truncated_or_changed_file_is_named(saved, tmp_path, name):
    m = copy_of(saved, tmp_path)
    data = (m / name).read_bytes()
    (m / name).write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match=rf"{name}: SHA-256 differs from manifest.json"):
        TabularGAN.load(m)
    (m / name).unlink()
    with pytest.raises(ModelFileError, match=rf"{name}: listed in manifest.json but missing"):
        TabularGAN.load(m)


def rewrite(m, name, change):
    """Change one JSON file and re-seal the manifest, as someone editing the folder by hand would."""
    path = m / name
    obj = json.loads(path.read_text())
    path.write_text(json.dumps(change(obj)))
    reseal(m)


def test_resealed_but_malformed_files_are_model_file_errors(saved, tmp_path):
    m = copy_of(saved, tmp_path)
    rewrite(m, "config.json", lambda c: {**c, "hyperparameters": "lots"})
    with pytest.raises(ModelFileError, match="'hyperparameters' must be a JSON object"):
        TabularGAN.load(m)
    m2 = copy_of(saved, tmp_path / "b")
    rewrite(m2, "config.json", lambda c: {**c, "hyperparameters": {**c["hyperparameters"],
                                                                     "generator_dim": [200000, 200000]}})
    with pytest.raises(ModelFileError, match=r"config.json: generator_dim: \[200000, 200000\] asks for"):
        TabularGAN.load(m2)
    m3 = copy_of(saved, tmp_path / "c")
    rewrite(m3, "transformer.json", lambda t: {k: v for k, v in t.items() if k != "numeric"})
    with pytest.raises(ModelFileError, match="malformed model folder"):
        TabularGAN.load(m3)
    m4 = copy_of(saved, tmp_path / "d")
    (m4 / "manifest.json").write_bytes(b"\xff\xfe not json")
    with pytest.raises(ModelFileError, match="manifest.json: malformed JSON"):
        TabularGAN.load(m4)


def test_absurd_network_sizes_are_refused_before_allocation():
    with pytest.raises(ConfigError, match="generator_dim"):
        TabularGAN(generator_dim=(200_000, 200_000)).fit(make_mixed(50))
