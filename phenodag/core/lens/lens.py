"""The lens (pheno-ml section 4.5): an image-to-image ConvAE trained with L = L_rec − α·L_disc.

- L_rec: binary cross-entropy of the lensed image against the input.
- L_disc: cross-entropy of the frozen drug classifier on the frozen encoder's features
  of the lensed image, against the image's class.

α > 0 is adversarial (the lens learns to hide what the classifier uses); α < 0 pushes
the lens towards changes that make the drug easier to recognise. The published code
let α do nothing (``c_loss.item()`` detached the term, and the classifier's gradient
was zeroed before the lens step) and reused one lens and optimiser across α; here the
term keeps its graph, the only parameters with gradients are the lens's, and every α
starts from a fresh copy of the same initial state with its own optimiser.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from phenodag.core.embed.convae import ConvAE
from phenodag.core.embed.trainer import use_bf16
from phenodag.core.lens.config import LensConfig

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LensLoss:
    """One step's total loss (with its graph) and its two terms (floats)."""

    total: torch.Tensor
    rec: float
    disc: float


@dataclass
class LensStats:
    """Mean losses of one logging interval."""

    step: int
    rec: float
    disc: float
    total: float
    seconds: float


@dataclass
class LensResult:
    """A trained lens and its loss history."""

    lens: ConvAE
    alpha: float
    history: list[LensStats] = field(default_factory=list)


def lens_loss(
    lens: nn.Module,
    encoder: nn.Module,
    classifier: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    alpha: float,
    bf16: bool = False,
) -> LensLoss:
    """L = L_rec − α·L_disc for a batch; both terms keep their graph into the lens.

    ``encoder`` and ``classifier`` should be frozen (:func:`.classifier.freeze`): the
    gradient flows through them into the lens but changes neither. The classifier
    returns logits, and ``F.cross_entropy`` applies the only softmax.
    """
    with torch.autocast(images.device.type, dtype=torch.bfloat16, enabled=bf16):
        lensed = lens(images)
        logits = classifier(encoder(lensed).flatten(1).float())
    lensed = lensed.float()
    rec = F.binary_cross_entropy(lensed, images)
    disc = F.cross_entropy(logits.float(), labels)
    return LensLoss(rec - alpha * disc, float(rec.detach()), float(disc.detach()))


def new_lens(convae: ConvAE) -> ConvAE:
    """Return a trainable copy of ``convae`` (the same initial state for every α)."""
    lens = copy.deepcopy(convae)
    for p in lens.parameters():
        p.requires_grad_(True)
    return lens.train()


def train_lens(
    convae: ConvAE,
    encoder: nn.Module,
    classifier: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    alpha: float,
    config: LensConfig,
    on_log: Callable[[LensStats], None] | None = None,
    log_every: int = 10,
    device: str = "cpu",
) -> LensResult:
    """Train one lens for ``alpha`` from a fresh copy of ``convae``; batches are drawn by ``config.seed`` only.

    ``config`` gives the steps, batch size, learning rate, seed and precision. The result
    does not depend on which α ran before: the copy, the optimiser and the batch order are
    new for every call. On another ``device`` the lens, encoder and classifier are moved
    there and each batch follows; the returned lens stays there.
    """
    steps, batch_size, bf16 = config.steps, config.batch_size, use_bf16(config.precision, device)
    lens = new_lens(convae).to(device)
    encoder, classifier = encoder.to(device), classifier.to(device)
    optim = torch.optim.Adam(lens.parameters(), lr=config.lr)
    rng = np.random.default_rng(config.seed)
    result = LensResult(lens, alpha)
    sums, n, start = np.zeros(3), 0, time.perf_counter()
    for step in range(1, steps + 1):
        idx = torch.from_numpy(rng.choice(len(images), size=min(batch_size, len(images)), replace=False))
        optim.zero_grad(set_to_none=True)
        loss = lens_loss(lens, encoder, classifier, images[idx].to(device), labels[idx].to(device), alpha, bf16)
        loss.total.backward()
        optim.step()
        sums += (loss.rec, loss.disc, float(loss.total.detach()))
        n += 1
        if step % log_every == 0 or step == steps:
            rec, disc, total = (sums / n).tolist()
            stats = LensStats(step, rec, disc, total, time.perf_counter() - start)
            result.history.append(stats)
            logger.info("alpha %g step %d/%d: L_rec %.4f L_disc %.4f total %.4f", alpha, step, steps, *(sums / n))
            if on_log is not None:
                on_log(stats)
            sums, n = np.zeros(3), 0
    lens.eval()
    return result


def apply_lens(lens: nn.Module, images: torch.Tensor, batch_size: int = 32) -> torch.Tensor:
    """Lensed images (no gradient), in batches."""
    with torch.inference_mode():
        return torch.cat([lens(images[i : i + batch_size]) for i in range(0, len(images), batch_size)]).float()
