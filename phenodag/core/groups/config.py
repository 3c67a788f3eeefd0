"""The group stage's configs, defined once (Dagster's run configs subclass them).

Torch-free, so the Dagster definitions load without torch. Defaults are CPU-sized;
the paper ran 350 epochs at full size on a GPU with ImageNet-initialised weights.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field


class GroupingConfig(BaseModel):
    """How images become groups and folds (``image_groups``)."""

    model_config = ConfigDict(frozen=True)

    n_folds: int = Field(default=6, ge=2, description="Stratified k-fold over groups.")
    seed: int = Field(default=0, description="Seed of the fold assignment.")
    include_controls: bool = Field(default=False, description="Make DMSO a class of its own.")


class GroupCVConfig(BaseModel):
    """How each fold's model is trained and what a method's cross-validation runs (``group_cv``).

    The learning-rate schedule is cosine annealing with warm restarts, stepped every
    batch; the first period is :meth:`first_period` and periods double.
    """

    model_config = ConfigDict(frozen=True)

    epochs: int = Field(default=20, ge=1)
    image_size: int = Field(default=64, ge=16, description="Images are resized to this square side.")
    batch_groups: int = Field(default=8, ge=2, description="Groups per batch (baseline: as many images).")
    lr: float = 1e-4
    weight_decay: float = 1e-4
    restart_epochs: int = Field(
        default=0, description="First cosine period in epochs; 0: 1/7 of the run's steps (the paper's 50 of 350)."
    )
    augment: bool = Field(default=True, description="Flip, affine, brightness/contrast, blur, noise per image.")
    precise_bn: bool = Field(
        default=True, description="Re-estimate BatchNorm statistics on un-augmented training images after training."
    )
    weights: str | None = Field(default=None, description="Local ResNet-18 state-dict file; none: random init.")
    folds: list[int] | None = Field(default=None, description="Folds to run; none: all.")
    restricted_baselines: bool = Field(
        default=True, description="baseline only: also one run per concentration (the paper's Table 1 bottom rows)."
    )
    log_models: bool = Field(default=True, description="Log each fold's model to MLflow.")
    seed: int = Field(default=0, description="Seed of initialisation, batches, dropout and augmentation.")

    def first_period(self, steps_per_epoch: int) -> int:
        """Optimiser steps of the first cosine cycle (cycles double: 1/7 + 2/7 + 4/7 of the run)."""
        if self.restart_epochs:
            return self.restart_epochs * steps_per_epoch
        return max(1, math.ceil(self.epochs * steps_per_epoch / 7))
