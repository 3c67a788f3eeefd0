"""Named encoders: one call turns a batch of images into float32 vectors.

- ``convae``: the pheno-ml ConvAE trained here; an MLflow model URI
  (``models:/phenodag-convae@champion`` by default) or a state-dict file.
- ``convae-phenoml``: the pheno-ml ConvAE with the published state dict, from a file.
- ``resnet18`` / ``resnet50``: torchvision, grey repeated to RGB, pooled features
  (512 / 2048); a torchvision state-dict file.
- ``vit_b_16``: torchvision ViT-B/16, class token (768); a torchvision state-dict file.

Nothing is downloaded: weights come from a file or URI the caller names (or
``$PHENODAG_WEIGHTS_DIR/<name>.pth``); a missing file is a ``FileNotFoundError`` that
says how to provide one. ``weights="random"`` gives an untrained network, only when
asked for, and is recorded as ``random:seed<N>``. Every encoder records its weights id
(``sha256:<hex>`` of the file, ``mlflow:<name>/<version>``, or ``random:seed<N>``).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

import phenodag.core.torch_compat  # noqa: F401  (torchvision is imported lazily below, after this)
from phenodag.core.encoders.convae import ConvAE
from phenodag.core.encoders.preprocess import IMAGENET_MEAN, IMAGENET_STD, Preprocess

logger = logging.getLogger("phenodag.encoders")

CONVAE_PREPROCESS = Preprocess(size=128, antialias=False, channels=1)
IMAGENET_PREPROCESS = Preprocess(size=224, antialias=True, channels=3, mean=IMAGENET_MEAN, std=IMAGENET_STD)
DEFAULT_CONVAE_URI = "models:/phenodag-convae@champion"


@dataclass
class Encoder:
    """A loaded encoder: network, preprocessing, output size and where its weights came from."""

    name: str
    model: nn.Module
    preprocess: Preprocess
    dim: int
    weights_id: str
    device: str = "cpu"

    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        """Return the (N, dim) features of a preprocessed batch."""
        with torch.inference_mode():
            out = self.model(batch.to(self.device))
        return out.flatten(1)

    def embed_arrays(self, images: list[np.ndarray], batch_size: int = 64) -> np.ndarray:
        """Embed decoded images (one field each) and return float32 (N, dim)."""
        chunks = [
            self.forward(self.preprocess.tensor(images[i : i + batch_size])).float().cpu().numpy()
            for i in range(0, len(images), batch_size)
        ]
        return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros((0, self.dim), np.float32)


class _ConvAEEncoder(nn.Module):
    def __init__(self, ae: ConvAE) -> None:
        super().__init__()
        self.encoder = ae.encoder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x).flatten(1)


def file_sha256(path: Path) -> str:
    """Return the hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _weights_file(name: str, weights: str | Path | None, how: str) -> Path:
    if weights is None:
        root = os.environ.get("PHENODAG_WEIGHTS_DIR")
        if root:
            weights = Path(root) / f"{name}.pth"
        else:
            raise FileNotFoundError(f"encoder {name!r} needs weights: {how}")
    path = Path(weights).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"weights file for encoder {name!r} not found: {path}. {how}")
    return path


def load_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Load a state dict on the CPU without unpickling code (``weights_only``)."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(f"{path}: expected a state dict, found {type(state).__name__}")
    return state


def _convae_from_file(name: str, weights: str | Path | None, how: str) -> tuple[nn.Module, str]:
    path = _weights_file(name, weights, how)
    ae = ConvAE()
    ae.load_state_dict(load_state_dict(path))
    return _ConvAEEncoder(ae).eval(), f"sha256:{file_sha256(path)}"


def _convae_registered(weights: str | Path | None, seed: int) -> tuple[nn.Module, str]:
    ref = str(weights) if weights is not None else DEFAULT_CONVAE_URI
    if ref == "random":
        torch.manual_seed(seed)
        return _ConvAEEncoder(ConvAE()).eval(), f"random:seed{seed}"
    if not ref.startswith("models:/"):
        return _convae_from_file("convae", ref, "pass a state-dict file or an MLflow model URI")
    from phenodag.core.tracking import load_convae

    ae, version_id = load_convae(ref)
    return _ConvAEEncoder(ae).eval(), version_id


def _torchvision(name: str, weights: str | Path | None, seed: int) -> tuple[nn.Module, str]:
    import torchvision

    how = (
        f"pass weights=PATH to a torchvision {name} state dict (e.g. the file torchvision's "
        f"{name} ImageNet weights download to), or set PHENODAG_WEIGHTS_DIR with {name}.pth in it; "
        "weights='random' gives an untrained network"
    )
    builder: Callable[..., nn.Module] = getattr(torchvision.models, name)
    if str(weights) == "random":
        torch.manual_seed(seed)
        model, wid = builder(weights=None), f"random:seed{seed}"
    else:
        path = _weights_file(name, weights, how)
        model = builder(weights=None)
        model.load_state_dict(load_state_dict(path))
        wid = f"sha256:{file_sha256(path)}"
    if name.startswith("resnet"):
        model.fc = nn.Identity()
    else:
        model.heads = nn.Identity()
    return model.eval(), wid


ENCODERS: dict[str, tuple[int, Preprocess]] = {
    "convae": (4 * 32 * 32, CONVAE_PREPROCESS),
    "convae-phenoml": (4 * 32 * 32, CONVAE_PREPROCESS),
    "resnet18": (512, IMAGENET_PREPROCESS),
    "resnet50": (2048, IMAGENET_PREPROCESS),
    "vit_b_16": (768, IMAGENET_PREPROCESS),
}


def load_encoder(
    name: str,
    weights: str | Path | None = None,
    device: str = "cpu",
    field: str | None = None,
    field_px: int | None = None,
    seed: int = 0,
) -> Encoder:
    """Load encoder ``name`` with its weights and preprocessing.

    Parameters
    ----------
    name
        One of :data:`ENCODERS`.
    weights
        File path, MLflow model URI (``convae``), or ``"random"`` (explicit opt-in).
        ``convae-phenoml`` also reads ``PHENODAG_PHENOML_WEIGHTS``; the torchvision
        encoders ``$PHENODAG_WEIGHTS_DIR/<name>.pth``.
    device
        Torch device.
    field, field_px
        Override the field handling of the preprocessing (``whole``, ``center_crop``, ``tile``).
    seed
        Seed of a ``random`` initialisation.

    Raises
    ------
    ValueError
        For an unknown encoder name.
    FileNotFoundError
        When the weights file is missing; the message says how to provide one.
    """
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r}; expected one of {sorted(ENCODERS)}")
    dim, pre = ENCODERS[name]
    if name == "convae":
        model, wid = _convae_registered(weights, seed)
    elif name == "convae-phenoml":
        how = (
            "pass weights=PATH to the published pheno-ml state dict (convae/trained_model.torch of "
            "dmitrav/pheno-ml) or set PHENODAG_PHENOML_WEIGHTS"
        )
        model, wid = _convae_from_file(name, weights or os.environ.get("PHENODAG_PHENOML_WEIGHTS"), how)
    else:
        model, wid = _torchvision(name, weights, seed)
    if field is not None:
        pre = pre.with_field(field, field_px)
    logger.info("loaded encoder %s (%s)", name, wid)
    return Encoder(name=name, model=model.to(device), preprocess=pre, dim=dim, weights_id=wid, device=device)
