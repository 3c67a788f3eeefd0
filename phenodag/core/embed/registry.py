"""Named encoders: one call turns a batch of images into float32 vectors.

- ``convae``: the pheno-ml ConvAE trained here; an MLflow model URI
  (``models:/phenodag-convae@champion`` by default) or a state-dict file.
- ``convae-phenoml``: the pheno-ml ConvAE with the published state dict, from a file.
- ``convae-random``: the ConvAE untrained (seeded init, ``random:seed<N>``): the baseline.
- ``resnet18`` / ``resnet50``: torchvision, grey repeated to RGB, pooled features
  (512 / 2048); a torchvision state-dict file.

Each ConvAE-family encoder has a ``readout`` (:data:`~phenodag.core.shared.vocab.READOUTS`):
``pooled`` (the default, 456 translation-invariant values) or ``latent`` (the published
flattened latent, 4,096 values, bit-exact with pheno-ml). The readout is written into the
``preprocess`` JSON of every vector (``"readout": "pooled"``; the latent readout adds
nothing, so the published description stays as it was). The torchvision encoders pool
by construction and take no readout.
- ``vit_b_16``: torchvision ViT-B/16, class token (768); a torchvision state-dict file.
- ``classical``: confluence, a cell-count proxy, intensity and texture statistics (40
  values, :mod:`phenodag.core.embed.classical`), no network and no weights.

Nothing is downloaded: weights come from a file or URI the caller names (or
``$PHENODAG_WEIGHTS_DIR/<name>.pth``); a missing file is a ``FileNotFoundError`` that
says how to provide one. ``weights="random"`` gives an untrained network, only when
asked for, and is recorded as ``random:seed<N>``. Every encoder records its weights id
(``sha256:<hex>`` of the file, ``mlflow:<name>/<version>``, or ``random:seed<N>``).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

import phenodag.core.shared.torch_compat  # noqa: F401  (torchvision is imported lazily below, after this)
from phenodag.core.embed.classical import CLASSICAL_FEATURES, CLASSICAL_SIZE, classical_features
from phenodag.core.embed.convae import INPUT_SIZE, LATENT_SHAPE, POOLED_DIM, ConvAE, kaiming_init, pooled_readout
from phenodag.core.embed.inference import Forward, inference_form
from phenodag.core.embed.preprocess import IMAGENET_MEAN, IMAGENET_STD, Preprocess
from phenodag.core.shared.files import sha256_file
from phenodag.core.shared.settings import Settings
from phenodag.core.shared.vocab import CLASSICAL_ENCODERS, CONVAE_CHAMPION_URI, CONVAE_ENCODERS, READOUTS
from phenodag.core.shared.weights import load_state_dict

logger = logging.getLogger(__name__)

CONVAE_PREPROCESS = Preprocess(size=INPUT_SIZE, antialias=False, channels=1)
TRAINED_CONVAE_PREPROCESS = replace(CONVAE_PREPROCESS, contrast="stretch")
IMAGENET_PREPROCESS = Preprocess(size=224, antialias=True, channels=3, mean=IMAGENET_MEAN, std=IMAGENET_STD)
CLASSICAL_PREPROCESS = Preprocess(size=CLASSICAL_SIZE, antialias=True, channels=1)
CLASSICAL_WEIGHTS_ID = "none:classical-v1"
"""The classical encoder's identity in ``weights_id``: no weights; the version of its feature set."""


FORWARD_CHUNK = 1
"""Images per forward call. Each embedding worker runs its own forward on one thread
(:func:`~phenodag.core.embed.pipeline.iter_embeddings`); the ConvAE's first activations
(128 channels at 128 px, 8 MB an image) stay in cache for one image, and on 2 cores one
image per call was fastest (4: -20 %, 64: -50 %; ``benchmarks/embed_throughput.py``)."""


@dataclass
class Encoder:
    """A loaded encoder: network, preprocessing, output size and where its weights came from.

    :meth:`forward` runs the network's inference form
    (:func:`~phenodag.core.embed.inference.inference_form`: frozen TorchScript with oneDNN
    kernels on the CPU, checked against the eager network on first use), in
    channels-last memory format, in chunks of ``chunk`` images. The weights must not
    change once the encoder has embedded.
    """

    name: str
    model: nn.Module
    preprocess: Preprocess
    dim: int
    weights_id: str
    device: str = "cpu"
    chunk: int = FORWARD_CHUNK
    readout: str | None = None
    """ConvAE family: ``pooled`` or ``latent``; None for the torchvision encoders (they pool)."""
    _inference: Forward | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.model = self.model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]

    def describe(self) -> str:
        """Return the ``preprocess`` JSON stored with every vector: the preprocessing, and a pooled readout."""
        return (
            self.preprocess.describe(readout=self.readout) if self.readout == "pooled" else self.preprocess.describe()
        )

    def _forward_of(self, example: torch.Tensor) -> Forward:
        if self._inference is not None:
            return self._inference
        with self._lock:  # worker threads share one encoder: build its inference form once
            if self._inference is None:
                self._inference, kind = inference_form(self.model, example, self.device)
                logger.debug("encoder %s runs %s", self.name, kind)
            return self._inference

    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        """Return the (N, dim) features of a preprocessed batch."""
        parts = []
        with torch.inference_mode():
            for chunk in batch.split(max(1, self.chunk)):
                x = chunk.to(self.device).contiguous(memory_format=torch.channels_last)
                parts.append(self._forward_of(x)(x).flatten(1))
        return torch.cat(parts) if parts else torch.zeros(0, self.dim)


@dataclass
class ClassicalEncoder(Encoder):
    """The ``classical`` encoder: :func:`~phenodag.core.embed.classical.classical_features` per image."""

    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        """Return the (N, 40) features of a preprocessed batch (N, 1, H, W) in [0, 1]."""
        images = batch.detach().float().cpu().numpy()[:, 0]
        return torch.from_numpy(
            np.stack([classical_features(im) for im in images]) if len(images) else np.zeros((0, self.dim), np.float32)
        )


class _ConvAEEncoder(nn.Module):
    def __init__(self, ae: ConvAE) -> None:
        super().__init__()
        self.encoder = ae.encoder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x).flatten(1)


class _PooledConvAEEncoder(_ConvAEEncoder):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return pooled_readout(self.encoder, x)


READOUT_DIMS = {"pooled": POOLED_DIM, "latent": math.prod(LATENT_SHAPE)}


def convae_readout(ae: ConvAE, readout: str) -> nn.Module:
    """Return the encoder half of ``ae`` with its readout (``pooled`` or ``latent``), in eval mode."""
    if readout not in READOUTS:
        raise ValueError(f"unknown readout {readout!r}; expected one of {READOUTS}")
    return (_PooledConvAEEncoder(ae) if readout == "pooled" else _ConvAEEncoder(ae)).eval()


def trained_convae_encoder(model: ConvAE, weights_id: str, device: str = "cpu", readout: str = "pooled") -> Encoder:
    """Wrap a ConvAE (e.g. one just trained, before it is registered) as the ``convae`` encoder."""
    network = convae_readout(model, readout).to(device)
    dim = READOUT_DIMS[readout]
    return Encoder("convae", network, TRAINED_CONVAE_PREPROCESS, dim, weights_id, device, readout=readout)


def default_weights(
    name: str,
    phenoml_weights: str | Path | None = None,
    weights_dir: str | Path | None = None,
    convae_model: str = CONVAE_CHAMPION_URI,
) -> str | None:
    """Where encoder ``name`` takes its weights from when none are named (None: nowhere).

    ``convae``: the registered champion (or ``convae_model``); ``convae-random``: a seeded
    random init (the baseline a trained encoder must beat); ``convae-phenoml``:
    ``phenoml_weights``; the torchvision encoders: ``<weights_dir>/<name>.pth``.
    :class:`~phenodag.core.shared.settings.Settings` holds the configured values.
    """
    if name == "convae":
        return convae_model
    if name == "convae-random":
        return "random"
    if name == "convae-phenoml":
        return str(phenoml_weights) if phenoml_weights else None
    if name in CLASSICAL_ENCODERS:
        return None
    return str(Path(weights_dir, f"{name}.pth")) if weights_dir else None


def _weights_file(name: str, weights: str | Path | None, how: str) -> Path:
    if weights is None:
        raise FileNotFoundError(f"encoder {name!r} needs weights: {how}")
    path = Path(weights).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"weights file for encoder {name!r} not found: {path}. {how}")
    return path


def _autoencoder_file(path: Path) -> tuple[ConvAE, str]:
    ae = ConvAE()
    ae.load_state_dict(load_state_dict(path))
    return ae.eval(), f"sha256:{sha256_file(path)}"


def _convae_from_file(name: str, weights: str | Path | None, how: str) -> tuple[ConvAE, str]:
    return _autoencoder_file(_weights_file(name, weights, how))


def load_autoencoder(ref: str) -> tuple[ConvAE, str]:
    """Load the whole ConvAE (encoder and decoder) from an MLflow model URI or a state-dict file, with its weights id.

    Raises
    ------
    FileNotFoundError
        If the file or the registered version does not exist.
    """
    if ref.startswith("models:/"):
        from phenodag.core.embed.tracking import load_convae

        return load_convae(ref)
    return _autoencoder_file(_weights_file("convae", ref, "pass a ConvAE state-dict file or an MLflow model URI"))


def _convae_registered(weights: str | Path | None, seed: int) -> tuple[ConvAE, str]:
    ref = str(weights) if weights is not None else CONVAE_CHAMPION_URI  # what default_weights names
    if ref == "random":  # the network as training starts it (same seed, same init), so it is the fair baseline
        torch.manual_seed(seed)
        return kaiming_init(ConvAE()).eval(), f"random:seed{seed}"
    if not ref.startswith("models:/"):
        return _convae_from_file("convae", ref, "pass a state-dict file or an MLflow model URI")
    from phenodag.core.embed.tracking import load_convae

    return load_convae(ref)


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
        wid = f"sha256:{sha256_file(path)}"
    if name.startswith("resnet"):
        model.fc = nn.Identity()
    else:
        model.heads = nn.Identity()
    return model.eval(), wid


ENCODERS: dict[str, tuple[int, Preprocess]] = {
    "convae": (POOLED_DIM, TRAINED_CONVAE_PREPROCESS),
    "convae-phenoml": (POOLED_DIM, CONVAE_PREPROCESS),
    "convae-random": (POOLED_DIM, TRAINED_CONVAE_PREPROCESS),
    "resnet18": (512, IMAGENET_PREPROCESS),
    "resnet50": (2048, IMAGENET_PREPROCESS),
    "vit_b_16": (768, IMAGENET_PREPROCESS),
    CLASSICAL_ENCODERS[0]: (len(CLASSICAL_FEATURES), CLASSICAL_PREPROCESS),
}


def load_encoder(
    name: str,
    weights: str | Path | None = None,
    device: str = "cpu",
    field: str | None = None,
    field_px: int | None = None,
    seed: int = 0,
    jpeg_draft: bool = False,
    readout: str | None = None,
) -> Encoder:
    """Load encoder ``name`` with its weights and preprocessing.

    Parameters
    ----------
    name
        One of :data:`ENCODERS`.
    weights
        File path, MLflow model URI (``convae``), or ``"random"`` (explicit opt-in).
        None: :func:`default_weights` with the home's settings (``PHENODAG_PHENOML_WEIGHTS``
        for ``convae-phenoml``, ``$PHENODAG_WEIGHTS_DIR/<name>.pth`` for torchvision).
    device
        Torch device.
    field, field_px
        Override the field handling of the preprocessing (``whole``, ``center_crop``, ``tile``).
    seed
        Seed of a ``random`` initialisation.
    jpeg_draft
        Opt in to reduced-scale JPEG decoding (``Preprocess.jpeg_draft``; recorded in
        the ``preprocess`` JSON of every vector).
    readout
        ConvAE family: ``pooled`` (None: the default) or ``latent`` (the published
        features); recorded in the ``preprocess`` JSON. The torchvision encoders take none.

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
    convae = name in CONVAE_ENCODERS
    if readout is not None and not convae:
        raise ValueError(f"encoder {name!r} pools by construction and takes no readout ({readout!r})")
    readout = readout or READOUTS[0]
    if name in CLASSICAL_ENCODERS:
        if weights is not None:
            raise ValueError(f"encoder 'classical' computes its features; it takes no weights ({weights!r})")
        pre = pre.with_field(field, field_px) if field is not None else pre
        return ClassicalEncoder(name, nn.Identity(), pre, dim, CLASSICAL_WEIGHTS_ID, device="cpu")
    if weights is None:
        s = Settings.from_env()
        weights = default_weights(name, s.phenoml_weights, s.weights_dir)
    if name == "convae-random" and str(weights) != "random":
        raise ValueError(f"encoder 'convae-random' is the untrained ConvAE; it takes no weights ({weights!r})")
    if not convae:
        model, wid = _torchvision(name, weights, seed)
    else:
        how = (
            "pass weights=PATH to the published pheno-ml state dict (convae/trained_model.torch of "
            "dmitrav/pheno-ml) or set PHENODAG_PHENOML_WEIGHTS"
        )
        ae, wid = (
            _convae_from_file(name, weights, how) if name == "convae-phenoml" else _convae_registered(weights, seed)
        )
        model, dim = convae_readout(ae, readout), READOUT_DIMS[readout]
    if field is not None:
        pre = pre.with_field(field, field_px)
    if jpeg_draft:
        pre = replace(pre, jpeg_draft=True)
    logger.info("loaded encoder %s (%s)", name, wid)
    return Encoder(
        name=name,
        model=model.to(device),
        preprocess=pre,
        dim=dim,
        weights_id=wid,
        device=device,
        readout=readout if convae else None,
    )
