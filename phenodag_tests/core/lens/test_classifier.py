"""The drug classifier: learns separable features, frozen afterwards, survives a save and load."""

from pathlib import Path

import pytest
import torch

from phenodag.core.lens.classifier import ClassifierBundle, probabilities, train_classifier
from phenodag.core.lens.config import LensConfig


def _features(n: int = 60, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 3
    x = torch.randn(n, 20, generator=g) + 6.0 * torch.nn.functional.one_hot(labels, 20).float()
    return x, labels


def test_classifier_separates_held_out_blobs_and_is_frozen() -> None:
    x, y = _features()
    model = train_classifier(x, y, 3)  # LensConfig's defaults: 256 hidden units, 300 epochs
    xt, yt = _features(seed=1)  # new draws: held out
    probs = probabilities(model, xt)
    assert (probs.argmax(1) == yt.numpy()).mean() > 0.9
    assert abs(probs.sum(1) - 1).max() < 1e-6
    assert not any(p.requires_grad for p in model.parameters()) and not model.training


def test_bundle_round_trip(tmp_path: Path) -> None:
    x, y = _features()
    model = train_classifier(x, y, 3, LensConfig(hidden=8, classifier_epochs=5))
    bundle = ClassifierBundle(model, ["DMSO", "A", "B"], [("P1", "B02")], "sha256:x", {"top1": 0.5})
    loaded = ClassifierBundle.load(bundle.save(tmp_path / "c.pt"))
    assert loaded.classes == bundle.classes and loaded.held_out_wells == [("P1", "B02")]
    assert torch.equal(loaded.classifier(x), model(x))
    with pytest.raises(FileNotFoundError, match="lens_classifier"):
        ClassifierBundle.load(tmp_path / "missing.pt")
