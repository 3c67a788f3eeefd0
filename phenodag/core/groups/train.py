"""Training and prediction of one group classifier.

Optimiser and schedule follow Baručić et al.: AdamW (lr 1e-4, weight decay 1e-4) and
cosine annealing with warm restarts, stepped every batch. The paper restarted after 50,
100 and 200 of 350 epochs (first period 1/7 of the run, doubling, so the run ends at the
end of a cycle, at the lowest learning rate); by default the first period is the same
1/7 of the run's optimiser steps, rounded up, so any ``epochs`` ends at a cycle's end
too (``restart_epochs`` sets it in epochs instead). ``baseline`` trains on
single images (each image carries its group's label; batches of ``batch_groups`` x
group size images), every other method on whole groups. Frozen embedding vectors
(G, N, D) train the same way without augmentation: the encoder is a per-dimension
standardisation fitted on the training fold. Batches are drawn from a
seeded generator; dropout and augmentation use the same seed, so a run is repeatable
on one machine.

After the last epoch the BatchNorm population statistics are re-estimated on the
training images without augmentation ("precise BN", Wu & Johnson 2021): the running
averages kept during training lag behind weights that still move at the start of each
cycle, and carry the augmentations' brightness/contrast shifts. Measured on a
simulated screen (6 compounds, 72 training groups, 48 px, 12 epochs, lr 1e-3, with
the earlier epoch-counted restarts and the re-estimation done by hand in a debug
script), held-out top-1 went from 0.39 with the running averages to 0.53 with
re-estimated ones. Only training images are used, so nothing is learned from held-out
groups.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from phenodag.core.groups.augment import Augment
from phenodag.core.groups.config import GroupCVConfig
from phenodag.core.groups.models import GroupClassifier, Standardize, resnet18_one_channel
from phenodag.core.shared.progress import Progress

logger = logging.getLogger(__name__)


def _batches(n: int, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled index batches; a last batch of one is merged into the previous (BatchNorm needs two)."""
    order = rng.permutation(n)
    out = [order[i : i + size] for i in range(0, n, size)]
    if len(out) > 1 and len(out[-1]) < 2:
        last = out.pop()
        out[-1] = np.concatenate([out[-1], last])
    return out


def new_model(
    method: str, x: torch.Tensor, mask: torch.Tensor, n_classes: int, config: GroupCVConfig
) -> GroupClassifier:
    """Return an untrained model for ``x``: a ResNet-18 for images (G, N, 1, H, W), a :class:`Standardize` for vectors.

    For vectors (G, N, D) the standardisation is fitted on the real vectors of ``x``
    (the training fold's), so nothing is learned from held-out groups.
    """
    if x.ndim == 3:
        encoder: torch.nn.Module = Standardize(x.shape[-1]).fit(x[mask])
        return GroupClassifier(method, n_classes, encoder, dim=x.shape[-1])
    return GroupClassifier(method, n_classes, resnet18_one_channel(config.weights))


def train_group_model(
    method: str,
    x: torch.Tensor,
    mask: torch.Tensor,
    y: np.ndarray,
    n_classes: int,
    config: GroupCVConfig,
    device: str = "cpu",
    on_epoch: Callable[[int, float], None] | None = None,
) -> GroupClassifier:
    """Train ``method`` on groups ``x`` (G, N, 1, H, W) or vectors (G, N, D) with ``mask`` (G, N), labels ``y`` (G,).

    Parameters
    ----------
    config
        Epochs, batch, optimiser, schedule, augmentation (images only), weights and seed.
    device
        Torch device.
    on_epoch
        Called with (epoch, mean training loss) after each epoch (for logging).
    """
    torch.manual_seed(config.seed)
    model = new_model(method, x, mask, n_classes, config)
    return fit(model, x, mask, y, config, device, on_epoch=on_epoch)


def fit(
    model: GroupClassifier,
    x: torch.Tensor,
    mask: torch.Tensor,
    y: np.ndarray,
    config: GroupCVConfig,
    device: str = "cpu",
    frozen: bool = False,
    on_epoch: Callable[[int, float], None] | None = None,
) -> GroupClassifier:
    """Train the trainable parameters of ``model`` (the loop of the module docstring); returns it in eval mode.

    ``frozen`` keeps the model in eval mode while training (BatchNorm statistics fixed,
    no dropout): the transfer of a frozen model, where only a new last layer learns.
    Augmentation applies to images only, never to vectors.
    """
    torch.manual_seed(config.seed)
    method = model.method
    rng = np.random.default_rng(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    dev = torch.device(device)
    augment = Augment(enabled=config.augment and x.ndim == 5)
    model = model.to(dev)
    labels = torch.as_tensor(y, dtype=torch.long)
    batch = config.batch_groups
    if method == "baseline":  # single images, each with its group's label, as many per batch
        batch = config.batch_groups * mask.shape[1]
        x = x[mask][:, None]
        labels = labels[:, None].expand(mask.shape)[mask]
        mask = torch.ones(x.shape[:2], dtype=torch.bool)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    n = x.shape[0]
    steps_per_epoch = len(_batches(n, batch, np.random.default_rng(0)))
    sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        opt, T_0=config.first_period(steps_per_epoch), T_mult=2
    )
    progress = Progress(f"training {method}", config.epochs, logger, unit="epoch")
    for epoch in range(config.epochs):
        model.train(not frozen)
        batches = _batches(n, batch, rng)
        total = 0.0
        for idx in batches:
            ti = torch.as_tensor(idx)
            xb, mb = x[ti], mask[ti]
            if x.ndim == 5:
                shape = xb.shape
                flat = augment(xb.reshape(-1, *shape[2:]), gen)
                xb = flat.reshape(*shape[:2], *flat.shape[1:])
            loss = F.cross_entropy(model(xb.to(dev), mb.to(dev)), labels[ti].to(dev))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        mean_loss = total / n
        if not math.isfinite(mean_loss):
            raise FloatingPointError(f"{method}: training loss is {mean_loss} at epoch {epoch}")
        logger.debug("%s epoch %d/%d loss %.4f", method, epoch + 1, config.epochs, mean_loss)
        progress.advance()
        if on_epoch is not None:
            on_epoch(epoch, mean_loss)
    if config.precise_bn and not frozen:
        recalibrate_batchnorm(model, x, mask, batch, dev)
    return model.eval()


@torch.no_grad()
def recalibrate_batchnorm(
    model: GroupClassifier, x: torch.Tensor, mask: torch.Tensor, batch: int, device: torch.device
) -> None:
    """Replace every BatchNorm's running statistics by their average over ``x`` (un-augmented, in batches).

    Uses the same batches as training (``batch`` groups, or images for ``baseline``),
    with dropout off; the statistics become the cumulative average over all batches.
    """
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average
    model.eval()
    for m in norms:
        m.train()
    for idx in _batches(x.shape[0], batch, np.random.default_rng(0)):
        ti = torch.as_tensor(idx)
        model(x[ti].to(device), mask[ti].to(device))
    for m, momentum in zip(norms, momenta, strict=True):
        m.momentum = momentum
    model.eval()


@torch.no_grad()
def predict_groups(model: GroupClassifier, x: torch.Tensor, mask: torch.Tensor, batch: int = 16) -> np.ndarray:
    """Class probabilities (G, K) of groups; ``baseline`` and ``product`` aggregate by summed logits."""
    model.eval()
    dev = next(model.parameters()).device
    out = [
        torch.softmax(model(x[i : i + batch].to(dev), mask[i : i + batch].to(dev)), dim=1).cpu()
        for i in range(0, x.shape[0], batch)
    ]
    return torch.cat(out).numpy() if out else np.zeros((0, model.n_classes), dtype=np.float32)


@torch.no_grad()
def predict_images(model: GroupClassifier, x: torch.Tensor, mask: torch.Tensor, batch: int = 16) -> np.ndarray:
    """Class probabilities (G, N, K) of every image on its own (the model applied to a group of one)."""
    g, n = mask.shape
    flat = x[mask][:, None]
    probs = predict_groups(model, flat, torch.ones(flat.shape[:2], dtype=torch.bool), batch * n)
    out = np.full((g, n, model.n_classes), np.nan, dtype=np.float32)
    out[mask.numpy()] = probs
    return out
