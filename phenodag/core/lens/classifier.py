"""The drug classifier the lens is judged by: an MLP on frozen ConvAE encoder features of un-lensed images.

The paper's MLP 4096→256→K (ReLU). It returns logits; the loss is one cross-entropy
on them (the published code applied a softmax and then ``CrossEntropyLoss``, which
applies another). Features are standardised with the training images' mean and
standard deviation, kept inside the module so that lensed images pass through the
same transform with a gradient.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from phenodag.core.lens.config import LensConfig


class DrugClassifier(nn.Module):
    """Standardise → Linear(d, hidden) → ReLU → Linear(hidden, K); outputs logits."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, dim: int, n_classes: int, hidden: int = 256) -> None:
        super().__init__()
        self.dim, self.hidden = dim, hidden
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Logits (N, K) of (N, dim) features."""
        return self.net((features - self.mean) / self.std)


def train_classifier(
    features: torch.Tensor, labels: torch.Tensor, n_classes: int, config: LensConfig | None = None
) -> DrugClassifier:
    """Fit the classifier full-batch on training features, classes weighted by inverse frequency.

    Hidden units, epochs, learning rate, weight decay, label smoothing and seed come from
    ``config`` (:class:`.config.LensConfig`, its defaults when None).

    Label smoothing keeps the logits finite: an MLP with a million weights fits tens of
    training images to a cross-entropy of ~0, and a classifier saturated on the lens's
    training images gives the lens's α·L_disc term no gradient to act on (measured with
    the published weights: L_disc 0.0000 after 20 steps at α = −60 without smoothing).

    Returns
    -------
    DrugClassifier
        In eval mode, every parameter frozen (``requires_grad`` False).
    """
    cfg = config or LensConfig()
    torch.manual_seed(cfg.seed)
    model = DrugClassifier(features.shape[1], n_classes, cfg.hidden)
    mean, std = features.mean(0), features.std(0)
    model.mean.copy_(mean)
    model.std.copy_(torch.where(std > 1e-6, std, torch.ones_like(std)))
    counts = torch.bincount(labels, minlength=n_classes).float()
    weight = torch.where(counts > 0, counts.sum() / (n_classes * counts.clamp(min=1)), torch.zeros_like(counts))
    optim = torch.optim.Adam(model.parameters(), lr=cfg.classifier_lr, weight_decay=cfg.classifier_weight_decay)
    model.train()
    for _ in range(cfg.classifier_epochs):
        optim.zero_grad(set_to_none=True)
        F.cross_entropy(
            model(features), labels, weight=weight, label_smoothing=cfg.classifier_label_smoothing
        ).backward()
        optim.step()
    return freeze(model)


M = TypeVar("M", bound=nn.Module)


def freeze(model: M) -> M:
    """Eval mode and no gradient for the module's own parameters (gradients still flow through it)."""
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def probabilities(classifier: nn.Module, features: torch.Tensor) -> np.ndarray:
    """Softmax probabilities (N, K) of features, as float64 numpy."""
    with torch.inference_mode():
        return torch.softmax(classifier(features).float(), dim=1).double().numpy()


@dataclass
class ClassifierBundle:
    """What ``lens_classifier`` hands to every α: the frozen classifier, its classes and the held-out wells."""

    classifier: DrugClassifier
    classes: list[str]
    held_out_wells: list[tuple[str, str]]
    convae_id: str
    metrics: dict[str, float]

    def save(self, path: Path) -> Path:
        """Write the bundle as one torch file; return ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(
            {
                "state": self.classifier.state_dict(),
                "dim": self.classifier.dim,
                "hidden": self.classifier.hidden,
                "classes": self.classes,
                "held_out_wells": [list(w) for w in self.held_out_wells],
                "convae_id": self.convae_id,
                "metrics": self.metrics,
            },
            path,
        )
        return path

    @classmethod
    def load(cls, path: Path) -> ClassifierBundle:
        """Read a bundle written by :meth:`save`.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist (materialise ``lens_classifier`` first).
        """
        if not path.exists():
            raise FileNotFoundError(f"lens classifier {path} not found: materialise lens_classifier first")
        d = torch.load(path, map_location="cpu", weights_only=False)
        model = DrugClassifier(d["dim"], len(d["classes"]), d["hidden"])
        model.load_state_dict(d["state"])
        return cls(freeze(model), d["classes"], [tuple(w) for w in d["held_out_wells"]], d["convae_id"], d["metrics"])
