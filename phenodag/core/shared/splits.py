"""The one hold-out split of phenodag: whole groups (wells) held out, seeded, on scikit-learn.

ConvAE training holds out wells to judge its reconstruction (:mod:`phenodag.core.embed.trainer`);
the lens holds out wells of each class to score the classifier and every lens on
(:mod:`phenodag.core.lens.data`). Both call :func:`holdout_split`: scikit-learn's
``GroupShuffleSplit`` with the number of groups to hold out, so an image of a held-out
well is never trained on, and the same seed gives the same wells.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
from sklearn.model_selection import GroupShuffleSplit


def held_out_count(n_groups: int, fraction: float) -> int:
    """Count the groups to hold out: ``fraction`` of them rounded, at least one, never all (none of one group)."""
    if fraction <= 0 or n_groups < 2:
        return 0
    return min(n_groups - 1, max(1, round(fraction * n_groups)))


def holdout_split(
    groups: Sequence[Hashable], fraction: float, seed: int | np.random.RandomState
) -> tuple[np.ndarray, np.ndarray]:
    """Split the indices of ``groups`` (one label per item) into training and held-out sets by whole groups.

    Parameters
    ----------
    groups
        The group of each item (e.g. ``plate/well`` of each image).
    fraction
        Share of the groups to hold out (:func:`held_out_count`).
    seed
        ``random_state`` of the split: a number, or one ``RandomState`` shared by several
        splits drawn in turn (each then draws anew: the lens's classes must not all hold
        out the wells at the same positions, e.g. all of one plate).

    Returns
    -------
    tuple of numpy.ndarray
        Sorted training and held-out indices; no group is in both.
    """
    labels = np.asarray([str(g) for g in groups])
    n_held = held_out_count(len(set(labels.tolist())), fraction)
    if n_held == 0:
        return np.arange(len(labels)), np.arange(0)
    split = GroupShuffleSplit(n_splits=1, test_size=n_held, random_state=seed)
    train, held = next(split.split(np.zeros(len(labels)), groups=labels))
    return np.sort(train), np.sort(held)
