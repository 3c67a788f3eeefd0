"""The group stage's configs, defined once (Dagster's run configs subclass them).

Torch-free, so the Dagster definitions load without torch. Defaults are CPU-sized;
the paper ran 350 epochs at full size on a GPU with ImageNet-initialised weights.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field, field_validator

from phenodag.core.shared.vocab import FEATURES_EMBEDDINGS, FEATURES_RESNET, PROFILE_NORMALISATIONS, one_of


def feature_encoder(features: str) -> str | None:
    """Return the frozen encoder named by ``embeddings:<encoder>``; None for ``resnet18`` (trained end to end)."""
    return features.removeprefix(FEATURES_EMBEDDINGS) if features.startswith(FEATURES_EMBEDDINGS) else None


class GroupingConfig(BaseModel):
    """How images become groups and folds (``image_groups``)."""

    model_config = ConfigDict(frozen=True)

    n_folds: int = Field(default=6, ge=2, description="Stratified k-fold over groups.")
    seed: int = Field(default=0, description="Seed of the fold assignment.")
    include_controls: bool = Field(default=False, description="Make DMSO a class of its own.")
    time_points: list[float] | None = Field(
        default=None,
        description="Times (h) whose images are configurations (concentration x time); none: every time imaged.",
    )
    screen: str | None = Field(
        default=None, description="Plate-id prefix of the screen's plates; none: every plate not in the library."
    )
    library: str | None = Field(
        default=None, description="Plate-id prefix of a second compound library, grouped apart for transfer."
    )


class GroupCVConfig(BaseModel):
    """How each fold's model is trained and what a method's cross-validation runs (``group_cv``).

    The learning-rate schedule is cosine annealing with warm restarts, stepped every
    batch; the first period is :meth:`first_period` and periods double.
    """

    model_config = ConfigDict(frozen=True)

    features: str = Field(
        default=FEATURES_RESNET,
        description=f"{FEATURES_RESNET!r} (trained end to end) or '{FEATURES_EMBEDDINGS}<encoder>' (frozen vectors).",
    )
    normalisation: str = Field(
        default=PROFILE_NORMALISATIONS[0],
        description=(
            "Frozen vectors normalised to their plate's DMSO images first: "
            f"{' | '.join(PROFILE_NORMALISATIONS)} (images for resnet18 are standardised per image instead)."
        ),
    )
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

    @field_validator("features")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if value != FEATURES_RESNET and not (
            value.startswith(FEATURES_EMBEDDINGS) and value[len(FEATURES_EMBEDDINGS) :]
        ):
            raise ValueError(f"features {value!r}; expected {FEATURES_RESNET!r} or '{FEATURES_EMBEDDINGS}<encoder>'")
        return value

    @field_validator("normalisation")
    @classmethod
    def _known_normalisation(cls, value: str) -> str:
        return one_of("normalisation", value, PROFILE_NORMALISATIONS)

    @property
    def encoder(self) -> str | None:
        """The frozen encoder of ``embeddings:<encoder>``; None for the end-to-end ResNet-18."""
        return feature_encoder(self.features)

    def first_period(self, steps_per_epoch: int) -> int:
        """Optimiser steps of the first cosine cycle (cycles double: 1/7 + 2/7 + 4/7 of the run)."""
        if self.restart_epochs:
            return self.restart_epochs * steps_per_epoch
        return max(1, math.ceil(self.epochs * steps_per_epoch / 7))


class GroupTransferConfig(BaseModel):
    """How a new head is trained on a frozen group model (``group_transfer``)."""

    model_config = ConfigDict(frozen=True)

    epochs: int = Field(default=60, ge=1, description="Epochs of the new head (only its last layer trains).")
    lr: float = Field(default=3e-3, gt=0)
    batch_groups: int = Field(default=8, ge=2)
    seed: int = 0

    def fit_config(self) -> GroupCVConfig:
        """Return the training loop's settings: no augmentation, no BatchNorm re-estimation (the model is frozen)."""
        return GroupCVConfig(
            epochs=self.epochs,
            lr=self.lr,
            batch_groups=self.batch_groups,
            augment=False,
            precise_bn=False,
            seed=self.seed,
        )


class GroupRobustnessConfig(BaseModel):
    """Test-time perturbations of held-out groups (``group_robustness``), in the model's input scale."""

    model_config = ConfigDict(frozen=True)

    blur_kernels: list[int] = Field(default=[3, 5, 11], description="Gaussian blur kernel sizes (odd, pixels).")
    noise_sds: list[float] = Field(default=[0.1, 0.2, 0.5], description="Noise sd in units of each image's sd.")
    max_copies: int = Field(default=6, ge=1, description="Duplicated images: 1 .. max_copies copies inserted.")
    duplicate: str | None = Field(
        default=None, description="Configuration duplicated ('1uM@24h'); none: lowest concentration, earliest time."
    )
    seed: int = 0

    @field_validator("blur_kernels")
    @classmethod
    def _odd(cls, value: list[int]) -> list[int]:
        bad = [k for k in value if k < 1 or k % 2 == 0]
        if bad:
            raise ValueError(f"blur kernel sizes must be odd and positive; got {bad}")
        return value
