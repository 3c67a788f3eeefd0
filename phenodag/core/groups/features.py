"""What the group models read: decoded images, or the frozen vectors of a named encoder.

``features`` (see :class:`~phenodag.core.groups.config.GroupCVConfig`) is either
``resnet18``, the end-to-end ResNet-18 on images (:func:`~.data.group_tensor`), or
``embeddings:<encoder>``: each image's vector from the ``embeddings`` table of that
encoder (the mean over its tiles where an image was tiled), the encoder frozen. Every
image of every group must have a vector, and all of them must come from one set of
weights (``weights_id``); otherwise the loader names what is missing or mixed.

:func:`embed_perturbed` re-embeds images with a test-time perturbation applied to the
encoder's input tensor (after its preprocessing), which is what the robustness of the
frozen mode needs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
import torch

from phenodag.core.embed.pipeline import embed_images
from phenodag.core.embed.registry import Encoder
from phenodag.core.groups.data import group_tensor, pack
from phenodag.core.groups.grouping import CONTROL_CLASS
from phenodag.core.shared.normalise import ControlNormaliser
from phenodag.core.shared.vocab import FEATURES_RESNET

logger = logging.getLogger(__name__)

Perturb = Callable[[torch.Tensor], torch.Tensor]
"""A test-time perturbation of a (M, C, H, W) batch of model inputs."""


@dataclass(frozen=True)
class GroupInputs:
    """Inputs of every group: ``x`` (G, N, 1, H, W) images or (G, N, D) vectors, real-slot ``mask`` (G, N)."""

    x: torch.Tensor
    mask: torch.Tensor
    features: str
    weights_id: str = ""
    """Weights of the frozen encoder (``embeddings:<encoder>``); empty for ``resnet18``."""
    normalise: Callable[[np.ndarray], np.ndarray] | None = None
    """Frozen vectors: the transform fitted on the plates' controls, for vectors of the same images in the
    same order (e.g. re-embedded from perturbed images); None for images."""


def image_vectors(embeddings: pl.DataFrame, paths: Sequence[str]) -> tuple[np.ndarray, str]:
    """Return the (M, D) vector of each path (the mean over its tiles) and the weights they came from.

    Parameters
    ----------
    embeddings
        Rows of ``embeddings`` of one encoder (``path``, ``weights_id``, ``vector``).
    paths
        Image files, in the order wanted.

    Raises
    ------
    ValueError
        If an image has no vector, or the vectors of these images come from more than
        one set of weights.
    """
    wanted = pl.DataFrame({"path": list(paths)}).unique()
    rows = embeddings.join(wanted, on="path", how="semi")
    missing = sorted(set(wanted["path"]) - set(rows["path"]))
    if missing:
        raise ValueError(f"{len(missing)} image(s) have no vector in embeddings, e.g. {missing[:3]}; embed them first")
    weights = sorted(set(rows["weights_id"]))
    if len(weights) > 1:
        raise ValueError(f"the groups' vectors come from {len(weights)} sets of weights {weights}; re-embed them")
    index = {p: i for i, p in enumerate(dict.fromkeys(paths))}
    dim = len(rows["vector"][0]) if rows.height else 0
    vectors = rows["vector"].list.to_array(dim).to_numpy().astype(np.float64)  # no Python floats
    sums = np.zeros((len(index), vectors.shape[1]))
    counts = np.zeros(len(index))
    owner = np.array([index[p] for p in rows["path"]])
    np.add.at(sums, owner, vectors)
    np.add.at(counts, owner, 1)
    means = (sums / counts[:, None]).astype(np.float32)
    return means[[index[p] for p in paths]], weights[0]


def control_normaliser(groups: pl.DataFrame, vectors: np.ndarray, method: str) -> Callable[[np.ndarray], np.ndarray]:
    """Fit ``method`` on the groups' images of the control class per plate; return it for vectors in that order.

    ``vectors`` (M, D) hold one row per image of ``groups``, group by group. Each plate's
    DMSO groups (:data:`~phenodag.core.groups.grouping.CONTROL_CLASS`) are its controls,
    as the compare and temporal stages use the DMSO wells; the plate's label-free
    reference, known at prediction time as well.
    """
    if method == "none":
        return lambda v: np.asarray(v)
    sizes = [len(p) for p in groups["paths"]]
    plates = [plate for plate, n in zip(groups["plate_id"], sizes, strict=True) for _ in range(n)]
    controls = np.array(
        [c == CONTROL_CLASS for c, n in zip(groups["compound"], sizes, strict=True) for _ in range(n)], dtype=bool
    )
    fitted = ControlNormaliser.fit(vectors, plates, controls, method)
    return lambda v: fitted.apply(v, plates)


def load_inputs(
    groups: pl.DataFrame,
    features: str,
    image_size: int,
    embeddings: pl.DataFrame | None = None,
    threads: int = 2,
    normalisation: str = "none",
) -> GroupInputs:
    """Load the inputs of ``groups`` (rows of ``image_groups``) for ``features``.

    ``embeddings`` holds the rows of the named encoder (needed unless ``features`` is
    ``resnet18``); frozen vectors are normalised to their plate's controls by
    ``normalisation`` (see :func:`control_normaliser`).
    """
    paths = groups["paths"].to_list()
    if features == FEATURES_RESNET:
        x, mask = group_tensor(paths, image_size, threads)
        return GroupInputs(x, mask, features)
    if embeddings is None:
        raise ValueError(f"features {features!r} need the rows of the embeddings table")
    vectors, weights_id = image_vectors(embeddings, [p for g in paths for p in g])
    normalise = control_normaliser(groups, vectors, normalisation)
    x, mask = pack(normalise(vectors).astype(np.float32), [len(g) for g in paths])
    n, dim = len(paths), x.shape[-1]
    logger.info("%d groups of %s vectors (%d dims, weights %s, %s)", n, features, dim, weights_id, normalisation)
    return GroupInputs(x, mask, features, weights_id, normalise)


def embed_perturbed(paths: Sequence[str], encoder: Encoder, perturb: Perturb, batch_size: int = 64) -> np.ndarray:
    """Embed images with ``perturb`` applied to the encoder's input batch; (M, D), tiles averaged.

    The embedding path of the ``embeddings`` asset (same decoding and preprocessing), on
    one worker, so a seeded perturbation draws its stream in image order.
    """
    return embed_images(paths, encoder, batch_size, threads=1, transform=perturb)
