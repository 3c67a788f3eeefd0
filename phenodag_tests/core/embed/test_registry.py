from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision

from phenodag.core.embed.pipeline import embed_images
from phenodag.core.embed.registry import ENCODERS, load_encoder
from phenodag.core.shared.files import sha256_file
from phenodag.core.shared.vocab import ENCODER_NAMES


def test_unknown_encoder() -> None:
    with pytest.raises(ValueError, match="unknown encoder"):
        load_encoder("inception")


def test_missing_weights_say_how_to_provide_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PHENODAG_WEIGHTS_DIR", raising=False)
    monkeypatch.delenv("PHENODAG_PHENOML_WEIGHTS", raising=False)
    with pytest.raises(FileNotFoundError, match="weights='random'"):
        load_encoder("resnet18")
    with pytest.raises(FileNotFoundError, match=r"not found: .*nope\.pth"):
        load_encoder("resnet18", tmp_path / "nope.pth")
    with pytest.raises(FileNotFoundError, match="PHENODAG_PHENOML_WEIGHTS"):
        load_encoder("convae-phenoml")
    monkeypatch.setenv("PHENODAG_WEIGHTS_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"resnet50\.pth"):
        load_encoder("resnet50")


def test_random_init_only_when_asked_and_recorded() -> None:
    enc = load_encoder("resnet18", "random", seed=3)
    assert enc.weights_id == "random:seed3" and enc.dim == 512
    out = embed_images([np.zeros((40, 40), np.uint8), np.full((50, 60), 200, np.uint8)], enc)
    assert out.shape == (2, 512) and out.dtype == np.float32
    again = embed_images([np.zeros((40, 40), np.uint8)], load_encoder("resnet18", "random", seed=3))
    assert np.allclose(again[0], out[0])


def test_weights_from_a_state_dict_file(tmp_path: Path) -> None:
    torch.manual_seed(0)
    reference = torchvision.models.resnet18(weights=None).eval()
    path = tmp_path / "resnet18.pth"
    torch.save(reference.state_dict(), path)
    enc = load_encoder("resnet18", path)
    assert enc.weights_id == f"sha256:{sha256_file(path)}"
    x = enc.preprocess.tensor([np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)])
    reference.fc = torch.nn.Identity()  # type: ignore[assignment]
    with torch.no_grad():
        assert torch.allclose(enc.forward(x), reference(x), atol=1e-5)


@pytest.mark.parametrize("name", ["resnet50", "vit_b_16"])
def test_larger_torchvision_encoders(name: str) -> None:
    enc = load_encoder(name, "random")
    assert embed_images([np.zeros((32, 32), np.uint8)], enc).shape == (1, ENCODERS[name][0])


def test_convae_state_dict_file_and_missing_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from phenodag.core.embed.convae import ConvAE

    path = tmp_path / "ae.pt"
    torch.save(ConvAE().state_dict(), path)
    enc = load_encoder("convae", path)
    assert enc.dim == 456 and enc.weights_id.startswith("sha256:")  # pooled: the default readout
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(FileNotFoundError, match="not in the MLflow registry"):
        load_encoder("convae", "models:/phenodag-convae@champion")


def test_registry_serves_every_named_encoder() -> None:
    from phenodag.core.shared.vocab import ENCODER_NAMES

    assert tuple(ENCODERS) == ENCODER_NAMES


def test_registry_names_are_the_vocabulary() -> None:
    assert tuple(ENCODERS) == ENCODER_NAMES
