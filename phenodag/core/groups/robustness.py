"""Robustness of trained group models to test-time perturbations (Baručić et al. Tables 4 and 5).

Only held-out groups are perturbed: each fold's model sees its own test groups.

``blur``        Gaussian blur with a ``k`` x ``k`` kernel; sigma follows OpenCV's rule for
                a kernel size, 0.3 ((k - 1) / 2 - 1) + 0.8 (k 3: 0.8, 5: 1.1, 11: 2.0 px).
``noise``       Gaussian noise of sd ``sigma`` times each image's own sd (the ResNet-18's
                input is standardised per image, so there sigma is in its input units).
``duplicates``  ``c`` copies of one configuration's image appended to each group (the
                paper uses the 24 h, lowest-concentration image; here the lowest
                concentration at the earliest time of the group, or a chosen one).

Blur and noise act on the model's input images: the standardised images of the
end-to-end ResNet-18, or the frozen encoder's preprocessed input batch, re-embedded
(:func:`~phenodag.core.groups.features.embed_perturbed`). Duplicates act on whatever
the group holds, images or vectors. ``retained`` is accuracy over the clean accuracy
of the same method and fold.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
import polars as pl
import torch

from phenodag.core.embed.registry import Encoder
from phenodag.core.groups.augment import gaussian_blur
from phenodag.core.groups.config import GroupRobustnessConfig
from phenodag.core.groups.data import pack
from phenodag.core.groups.features import GroupInputs, Perturb, embed_perturbed
from phenodag.core.groups.grouping import parse_configuration
from phenodag.core.groups.metrics import top_k_accuracy
from phenodag.core.groups.models import GroupClassifier
from phenodag.core.groups.train import predict_groups
from phenodag.core.shared.group_schemas import GROUP_ROBUSTNESS_SCHEMA

logger = logging.getLogger(__name__)

Perturbed = Callable[[str, float], torch.Tensor]
"""Returns the (G, N, ...) inputs of every group under (perturbation, level)."""


def kernel_sigma(kernel: int) -> float:
    """OpenCV's Gaussian sigma for a kernel size: 0.3 ((k - 1) / 2 - 1) + 0.8."""
    return 0.3 * ((kernel - 1) * 0.5 - 1) + 0.8


def blur(x: torch.Tensor, kernel: int) -> torch.Tensor:
    """Blur every image of (M, C, H, W) with a ``kernel`` x ``kernel`` Gaussian (reflect-padded)."""
    if kernel <= 1:
        return x
    sigma = torch.full((x.shape[0],), kernel_sigma(kernel))
    return gaussian_blur(x, sigma, radius=(kernel - 1) // 2)


def add_noise(x: torch.Tensor, sd: float, generator: torch.Generator) -> torch.Tensor:
    """Add Gaussian noise of ``sd`` times each image's own standard deviation to (M, C, H, W)."""
    scale = x.std(dim=tuple(range(1, x.ndim)), keepdim=True)
    return x + torch.randn(x.shape, generator=generator) * sd * scale


def image_perturbation(kind: str, level: float, seed: int) -> Perturb:
    """Return the batch function of ``blur`` (kernel ``level``) or ``noise`` (sd ``level``, one seeded stream)."""
    if kind == "blur":
        return lambda x: blur(x, int(level))
    if kind == "noise":
        gen = torch.Generator().manual_seed(seed)
        return lambda x: add_noise(x, level, gen)
    raise ValueError(f"perturbation {kind!r}; expected 'blur' or 'noise'")


def perturbed_inputs(
    inputs: GroupInputs,
    paths: Sequence[Sequence[str]],
    encoder: Encoder | None,
    seed: int,
    batch_size: int = 64,
) -> Perturbed:
    """Return (perturbation, level) → perturbed inputs of every group, each computed once.

    Images (end-to-end ResNet-18) are perturbed in place of their standardised input;
    frozen vectors are recomputed by ``encoder`` from perturbed input batches.

    Raises
    ------
    ValueError
        When frozen vectors are to be perturbed without their encoder, or with other
        weights than the vectors came from.
    """
    cache: dict[tuple[str, float], torch.Tensor] = {("none", 0.0): inputs.x}
    sizes = [len(p) for p in paths]

    def get(kind: str, level: float) -> torch.Tensor:
        if (kind, level) not in cache:
            fn = image_perturbation(kind, level, seed)
            if inputs.x.ndim == 3:
                if encoder is None or encoder.weights_id != inputs.weights_id:
                    got = encoder.weights_id if encoder is not None else "none"
                    raise ValueError(
                        f"{inputs.features}: vectors of weights {inputs.weights_id}, encoder weights {got}"
                    )
                flat = [p for group in paths for p in group]
                vectors = embed_perturbed(flat, encoder, fn, batch_size)
                if inputs.normalise is not None:  # the clean controls' transform, not one refitted on perturbed ones
                    vectors = inputs.normalise(vectors).astype(np.float32)
                cache[kind, level] = pack(vectors, sizes)[0]
            else:
                cache[kind, level] = pack(fn(inputs.x[inputs.mask]), sizes)[0]
            logger.info("inputs under %s %g ready", kind, level)
        return cache[kind, level]

    return get


def duplicate_slots(configurations: Sequence[Sequence[str]], chosen: str | None = None) -> np.ndarray:
    """Slot of the image to duplicate in each group: ``chosen``, or the lowest concentration at the earliest time.

    Raises
    ------
    ValueError
        If a group lacks the chosen configuration.
    """
    slots = []
    for confs in configurations:
        if chosen is None:
            slots.append(min(range(len(confs)), key=lambda i: parse_configuration(confs[i])))
        elif chosen in confs:
            slots.append(list(confs).index(chosen))
        else:
            raise ValueError(f"configuration {chosen!r} is not in a group of {list(confs)}")
    return np.array(slots, dtype=np.int64)


def insert_duplicates(
    x: torch.Tensor, mask: torch.Tensor, slots: np.ndarray, copies: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Append ``copies`` copies of each group's image at ``slots`` right after its real images.

    Groups of (G, N, ...) with real-image ``mask`` (G, N) become (G, N + copies, ...);
    every group keeps its images in their slots, gains ``copies`` real slots holding the
    duplicated image, and keeps its padding (zeros, masked) after them.
    """
    g, n = mask.shape
    out = x.new_zeros(g, n + copies, *x.shape[2:])
    out_mask = torch.zeros(g, n + copies, dtype=torch.bool)
    for i in range(g):
        real = int(mask[i].sum())
        out[i, :real] = x[i, :real]
        out[i, real : real + copies] = x[i, int(slots[i])]
        out_mask[i, : real + copies] = True
    return out, out_mask


def levels(config: GroupRobustnessConfig) -> list[tuple[str, float]]:
    """Every (perturbation, level) measured, the clean ``("none", 0)`` first."""
    out = [("none", 0.0)]
    out += [("blur", float(k)) for k in config.blur_kernels]
    out += [("noise", float(s)) for s in config.noise_sds]
    return out + [("duplicates", float(c)) for c in range(1, config.max_copies + 1)]


def robustness_rows(
    method: str,
    models: dict[int, GroupClassifier],
    classes: list[str],
    features: str,
    groups: pl.DataFrame,
    mask: torch.Tensor,
    perturbed: Perturbed,
    config: GroupRobustnessConfig,
) -> pl.DataFrame:
    """Held-out top-1 of each fold's model under every perturbation level (schema ``group_robustness``).

    Parameters
    ----------
    models
        Fold → model (trained without that fold's groups).
    classes
        The models' classes in index order.
    groups
        ``image_groups`` rows of the screen set, in the order of the inputs.
    mask
        Real-image mask (G, N) of the inputs.
    perturbed
        (perturbation, level) → the inputs (G, N, ...) of every group; ``("none", 0)``
        gives the clean inputs. Duplicates are inserted here from the clean inputs.
    """
    fold_of = groups["fold"].to_numpy()
    index = {c: i for i, c in enumerate(classes)}
    labels = np.array([index[c] for c in groups["compound"]])
    slots = duplicate_slots(groups["configurations"].to_list(), config.duplicate)
    rows, clean = [], {}
    for kind, level in levels(config):
        if kind == "duplicates":
            x, m = insert_duplicates(perturbed("none", 0.0), mask, slots, int(level))
        else:
            x, m = perturbed(kind, level), mask
        for fold, model in sorted(models.items()):
            test = torch.as_tensor(fold_of == fold)
            if not bool(test.any()):
                continue
            acc = top_k_accuracy(labels[test.numpy()], predict_groups(model, x[test], m[test]), 1)
            if kind == "none":
                clean[fold] = acc
            base = clean.get(fold, float("nan"))
            rows.append(
                {
                    "method": method,
                    "features": features,
                    "perturbation": kind,
                    "level": level,
                    "fold": fold,
                    "n_groups": int(test.sum()),
                    "accuracy": acc,
                    "retained": acc / base if base > 0 else float("nan"),
                }
            )
        logger.info(
            "%s under %s %g: mean top-1 %.3f",
            method,
            kind,
            level,
            np.mean([r["accuracy"] for r in rows[-len(models) :]]),
        )
    return pl.DataFrame(rows, schema=GROUP_ROBUSTNESS_SCHEMA)
