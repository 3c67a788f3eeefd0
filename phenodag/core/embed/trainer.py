"""Self-supervised ConvAE training on multi-crops: BCE reconstruction loss, Adam.

- Held-out set: whole groups (e.g. wells) are held out, so the validation loss is
  measured on images whose neighbours in time were never trained on.
- Batches: ``batch_size`` counts crops (views), as in the paper's batch of 64; a step
  takes ``batch_size // n_views`` images with all their views.
- Determinism: the model's initial weights come from ``seed``; the image order and
  every crop come from numpy generators seeded by (seed, epoch[, index]), so a run
  is reproducible whether data are loaded in this process or by spawned workers.
- Data loading: ``workers`` > 0 loads batches in spawned processes (never forked,
  since torch threads may already run) with ``prefetch`` batches each; every epoch
  records the time the model waited for data.
- Checkpoints: after every epoch the model, optimiser and history are written
  atomically to ``checkpoint``; a run with the same config and data resumes there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, Sampler

from phenodag.core.embed.config import TrainConfig
from phenodag.core.embed.convae import INPUT_SIZE, ConvAE, kaiming_init
from phenodag.core.embed.crops import CropStrategy, make_views
from phenodag.core.embed.heldout import (
    dead_channels,
    flat_mse,
    full_views,
    psnr,
    reconstruction_loss,
    reconstruction_metrics,
)
from phenodag.core.shared.cpu import describe as describe_cpu
from phenodag.core.shared.cpu import fast_bf16
from phenodag.core.shared.progress import Progress
from phenodag.core.shared.splits import holdout_split

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EpochStats:
    """Losses and timing of one epoch (the last may be cut short by ``steps``).

    ``val_loss`` is the held-out BCE, which sits near 0.69 for mid-grey images whatever
    the model does; ``val_mse`` and ``val_psnr`` (dB) show progress, against the flat
    reconstruction's ``TrainResult.flat_val_mse``. ``dead_channels`` counts the encoder's
    ReLU channels that no held-out image, seen whole at the embedding size, switches on
    (see :func:`dead_channels`); it is measured after the last epoch only (None before):
    at 128 px it cost as much as a tenth of a 32 px training run when measured every epoch.
    """

    epoch: int
    step: int
    train_loss: float
    val_loss: float
    val_mse: float
    val_psnr: float
    seconds: float
    data_wait_s: float
    dead_channels: int | None = None


@dataclass
class TrainResult:
    """The trained model and its history.

    ``resumed_from`` is the epoch a checkpoint resumed at (0: fresh); ``initial_val_loss``
    the held-out loss of the untrained model; ``flat_val_mse`` the held-out MSE of the
    best flat reconstruction (each image's mean grey), the baseline that training must
    beat to have learned any structure.
    """

    model: ConvAE
    history: list[EpochStats] = field(default_factory=list)
    resumed_from: int = 0
    initial_val_loss: float = float("nan")
    flat_val_mse: float = float("nan")
    precision: str = "fp32"

    @property
    def val_loss(self) -> float:
        """Held-out loss after the last epoch."""
        return self.history[-1].val_loss if self.history else float("nan")


class MultiCropDataset(Dataset[torch.Tensor]):
    """Images (2-D float32 arrays in [0, 1]) → views of the crop strategy; items are (epoch, index)."""

    def __init__(self, images: Sequence[np.ndarray], strategy: CropStrategy, seed: int) -> None:
        self.images = images
        self.strategy = strategy
        self.seed = seed

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, key: tuple[int, int]) -> torch.Tensor:
        epoch, i = key
        rng = np.random.default_rng([self.seed, epoch, i])
        return make_views(torch.from_numpy(self.images[i])[None], self.strategy, rng)


class EpochSampler(Sampler[list[tuple[int, int]]]):
    """Batches of (epoch, index) keys in an order seeded by (seed, epoch)."""

    def __init__(self, indices: np.ndarray, images_per_batch: int, seed: int) -> None:
        self.indices = indices
        self.images_per_batch = images_per_batch
        self.seed = seed
        self.epoch = 0

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        order = np.random.default_rng([self.seed, self.epoch, 2]).permutation(self.indices)
        for i in range(0, len(order), self.images_per_batch):
            yield [(self.epoch, int(j)) for j in order[i : i + self.images_per_batch]]

    def __len__(self) -> int:
        return -(-len(self.indices) // self.images_per_batch)


def _collate(batch: list[torch.Tensor]) -> torch.Tensor:
    return torch.cat(batch)


def use_bf16(precision: str, device: str = "cpu") -> bool:
    """Whether to train in bf16 autocast: ``auto`` only where the device runs bf16 natively.

    On the CPU that is detected (:func:`~phenodag.core.shared.cpu.fast_bf16`); on a CUDA
    device, asked of torch (every card since Ampere).
    """
    if precision not in ("auto", "fp32", "bf16"):
        raise ValueError(f"precision {precision!r}; expected auto, fp32 or bf16")
    if precision != "auto":
        return precision == "bf16"
    if device_type(device) == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return fast_bf16()


def device_type(device: str) -> str:
    """``cuda`` of ``cuda:1``: what ``torch.autocast`` takes."""
    return torch.device(device).type


def data_key(images: Sequence[np.ndarray], groups: Sequence[str]) -> str:
    """Return a short fingerprint of the training data (shapes, groups, a pixel sample) for checkpoints."""
    h = hashlib.sha256()
    for img, g in zip(images, groups, strict=True):
        h.update(f"{g}:{img.shape}:".encode())
        h.update(np.ascontiguousarray(img[:: max(1, img.shape[0] // 8), :: max(1, img.shape[1] // 8)]).tobytes())
    return h.hexdigest()[:16]


def describe_device(device: str) -> str:
    """Return the CPU's features, or the CUDA card's name: what a precision was chosen on, or a timing ran on."""
    if device_type(device) == "cuda" and torch.cuda.is_available():
        return torch.cuda.get_device_name(torch.device(device))
    return describe_cpu()


def _save(path: Path, payload: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


@dataclass
class _Run:
    """What one training run carries from step to step: the model, its optimiser and schedule, the checkpoint key."""

    model: ConvAE
    optim: torch.optim.Optimizer
    schedule: torch.optim.lr_scheduler.LRScheduler
    key: dict[str, str]


def _start(
    config: TrainConfig, strategy: str, images: Sequence[np.ndarray], groups: Sequence[str], device: str = "cpu"
) -> _Run:
    """Start a seeded, Kaiming-initialised ConvAE with Adam and a linear warm-up, keyed by its config and data."""
    torch.manual_seed(config.seed)
    model = kaiming_init(ConvAE()).to(device)
    optim = torch.optim.Adam(model.parameters(), lr=config.lr)
    warmup = max(1, config.warmup_steps)
    schedule = torch.optim.lr_scheduler.LambdaLR(optim, lambda s: min(1.0, (s + 1) / warmup))
    key = {
        "config": json.dumps({**config.model_dump(), "strategy": strategy}, sort_keys=True),
        "data": data_key(images, groups),
    }
    return _Run(model, optim, schedule, key)


def _resume(run: _Run, checkpoint: Path | None, result: TrainResult) -> None:
    """Load ``checkpoint`` into ``run`` and ``result`` when it was written for the same config and data."""
    if checkpoint is None or not checkpoint.exists():
        return
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    if state.get("key") != run.key:
        logger.info("checkpoint %s belongs to another config or data; starting afresh", checkpoint)
        return
    run.model.load_state_dict(state["model"])
    run.optim.load_state_dict(state["optimizer"])
    run.schedule.load_state_dict(state["schedule"])
    result.history = [EpochStats(**e) for e in state["history"]]
    result.resumed_from = len(result.history)
    logger.info("resumed from %s after epoch %d", checkpoint, result.resumed_from)


def _loader(
    images: Sequence[np.ndarray], train_idx: np.ndarray, views: CropStrategy, config: TrainConfig
) -> tuple[DataLoader[torch.Tensor], EpochSampler]:
    """Batches of multi-crop views of the training images (in ``config.workers`` spawned processes, if any)."""
    sampler = EpochSampler(train_idx, max(1, config.batch_size // views.n_views), config.seed)
    dataset = MultiCropDataset(images, views, config.seed)
    loader_kwargs: dict[str, object] = {}
    if config.workers > 0:
        loader_kwargs = {
            "num_workers": config.workers,
            "multiprocessing_context": "spawn",
            "prefetch_factor": config.prefetch,
            "persistent_workers": True,
        }
    loader = DataLoader(dataset, batch_sampler=sampler, collate_fn=_collate, **loader_kwargs)  # type: ignore[arg-type]
    return loader, sampler


def _train_epoch(
    run: _Run, loader: DataLoader[torch.Tensor], step: int, total_steps: int, bf16: bool, progress: Progress
) -> tuple[int, float, float]:
    """One pass over ``loader`` (stopping at ``total_steps``); return the step reached, the mean BCE, the data wait."""
    run.model.train()
    device = next(run.model.parameters()).device
    wait = total = 0.0
    n = 0
    t0 = time.perf_counter()
    for batch in loader:
        if step >= total_steps:
            break
        wait += time.perf_counter() - t0
        batch = batch.to(device, non_blocking=True)
        run.optim.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            rec = run.model(batch)
        loss = F.binary_cross_entropy(rec.float(), batch)
        loss.backward()
        run.optim.step()
        run.schedule.step()
        step += 1
        progress.advance()
        total += loss.item() * batch.shape[0]
        n += batch.shape[0]
        t0 = time.perf_counter()
    return step, total / max(n, 1), wait


def _log_epoch(stats: EpochStats, epochs: int, total_steps: int, flat_mse: float) -> None:
    logger.info(
        "epoch %d/%d (step %d/%d): train BCE %.5f, held-out BCE %.5f, MSE %.5f (flat %.5f), PSNR %.2f dB, "
        "%s dead ReLU channels, %.1f s (%.1f s waiting for data)",
        stats.epoch,
        epochs,
        stats.step,
        total_steps,
        stats.train_loss,
        stats.val_loss,
        stats.val_mse,
        flat_mse,
        stats.val_psnr,
        "-" if stats.dead_channels is None else stats.dead_channels,
        stats.seconds,
        stats.data_wait_s,
    )


def _save_checkpoint(path: Path, run: _Run, history: list[EpochStats]) -> None:
    state: dict[str, object] = {
        "key": run.key,
        "model": run.model.state_dict(),
        "optimizer": run.optim.state_dict(),
        "schedule": run.schedule.state_dict(),
        "history": [asdict(h) for h in history],
    }
    _save(path, state)


def train_convae(
    images: Sequence[np.ndarray],
    groups: Sequence[str],
    config: TrainConfig,
    strategy: str = "1f+1l+3s",
    checkpoint: Path | None = None,
    on_epoch: Callable[[EpochStats, ConvAE, torch.Tensor], None] | None = None,
    device: str = "cpu",
) -> TrainResult:
    """Train a ConvAE on multi-crops of ``images``.

    The steps: hold whole groups out (:func:`~phenodag.core.shared.splits.holdout_split`),
    start a seeded model (:func:`_start`), resume from ``checkpoint`` when it matches
    (:func:`_resume`), then per epoch train (:func:`_train_epoch`), score the held-out
    full views, log, checkpoint and call ``on_epoch``.

    Parameters
    ----------
    images
        2-D float32 arrays in [0, 1] (any size ≥ the crop size is fine).
    groups
        One group label per image (e.g. ``plate/well``); whole groups are held out.
    config
        Hyper-parameters.
    strategy
        The crop strategy, e.g. ``1f+1l+3s`` (see :mod:`.crops`).
    checkpoint
        File to write after every epoch and to resume from.
    on_epoch
        Called after every epoch with the stats, the model and the held-out full views
        (for logging and previews).
    device
        Torch device of the model and each batch (views are cut on the CPU).

    Returns
    -------
    TrainResult
        The model (eval mode) and the per-epoch history.
    """
    if len(images) != len(groups) or not images:
        raise ValueError(
            f"need one group per image and at least one image ({len(images)} images, {len(groups)} groups)"
        )
    views = CropStrategy.parse(strategy, size=config.crop_size)
    train_idx, val_idx = holdout_split(groups, config.val_fraction, config.seed)
    val_batch = full_views([images[i] for i in val_idx], config.crop_size)
    probe_batch = full_views([images[i] for i in val_idx], INPUT_SIZE)  # as the encoder sees them when it embeds
    run = _start(config, strategy, images, groups, device)
    bf16 = use_bf16(config.precision, device)
    result = TrainResult(
        model=run.model,
        initial_val_loss=reconstruction_loss(run.model, val_batch),
        flat_val_mse=flat_mse(val_batch),
        precision=f"{'bf16 autocast' if bf16 else 'fp32'} ({describe_device(device)})",
    )
    _resume(run, checkpoint, result)
    loader, sampler = _loader(images, train_idx, views, config)
    total_steps = config.steps or config.epochs * len(sampler)
    epochs = -(-total_steps // len(sampler))
    step = result.history[-1].step if result.history else 0
    logger.info(
        "%d optimiser steps (%d epochs of %d) of %d views, %s",
        total_steps,
        epochs,
        len(sampler),
        config.batch_size,
        result.precision,
    )
    progress = Progress("training the ConvAE", total_steps, logger, unit="step", done=step)
    for epoch in range(result.resumed_from, epochs):
        sampler.epoch = epoch
        start = time.perf_counter()
        step, train_loss, wait = _train_epoch(run, loader, step, total_steps, bf16, progress)
        val_bce, val_mse = reconstruction_metrics(run.model, val_batch)
        stats = EpochStats(
            epoch + 1,
            step,
            train_loss,
            val_bce,
            val_mse,
            psnr(val_mse),
            time.perf_counter() - start,
            wait,
            dead_channels(run.model, probe_batch) if step >= total_steps else None,
        )
        result.history.append(stats)
        _log_epoch(stats, epochs, total_steps, result.flat_val_mse)
        if checkpoint is not None:
            _save_checkpoint(checkpoint, run, result.history)
        if on_epoch is not None:
            on_epoch(stats, run.model, val_batch)
    run.model.eval()
    return result
