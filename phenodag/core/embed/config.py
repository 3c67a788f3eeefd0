"""The embed stage's training configs, defined once (Dagster's ``ConvAEConfig`` subclasses them).

Torch-free, so the Dagster definitions load without torch.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator

from phenodag.core.shared.vocab import JUDGE_METRICS, PROFILE_NORMALISATIONS, one_of


class TrainConfig(BaseModel):
    """Hyper-parameters of ConvAE training, shared by every crop strategy of a sweep."""

    model_config = ConfigDict(frozen=True)

    epochs: int = Field(default=3, ge=1, description="Passes over the training images (when steps is 0).")
    steps: int = Field(default=0, ge=0, description="Optimiser steps to run; 0: epochs x steps per epoch.")
    warmup_steps: int = Field(default=20, ge=0, description="Steps of linear learning-rate warm-up.")
    batch_size: int = Field(default=20, ge=1, description="Crops (views) per optimisation step.")
    lr: float = Field(default=1e-3, description="Adam learning rate after warm-up (chosen by dead ReLU channels).")
    precision: str = Field(
        default="auto", description="auto (bf16 autocast where this CPU runs bf16 natively, else fp32) | fp32 | bf16"
    )
    seed: int = Field(default=0, description="Seed of the initial weights, the image sample and every crop.")
    val_fraction: float = Field(default=0.2, description="Fraction of wells held out.")
    crop_size: int = Field(default=32, description="Side every view is resized to.")
    workers: int = Field(default=0, description="Spawned data-loading processes (0 = in the training process).")
    prefetch: int = Field(default=4, description="Batches each loading process prepares ahead.")


class ConvAETrainingConfig(TrainConfig):
    """What ``convae_model`` trains: which plates, how many images, and one run per crop strategy."""

    plates: list[str] = Field(default_factory=list, description="Plates to train on; empty = every ingested plate.")
    strategies: list[str] = Field(
        default_factory=lambda: ["1f+1l+3s"], description="Crop strategies (e.g. 1f+1l+3s); one MLflow run each."
    )
    max_images: int = Field(default=2000, description="Images sampled (seeded) from the plates.")
    judge: str = Field(
        default="activity_map",
        description=f"Metric that moves the champion alias: {' | '.join(JUDGE_METRICS)} (compare stage).",
    )
    judge_plates: list[str] = Field(
        default_factory=list,
        description="Plates each version is judged on; empty = the ingested plates it did not train on, "
        "else (every plate trained on) the training plates, said so in the run.",
    )

    @field_validator("judge")
    @classmethod
    def _known_judge(cls, value: str) -> str:
        return one_of("judge", value, JUDGE_METRICS)


class ExportConfig(BaseModel):
    """How exported profiles are normalised (``phenodag export --normalise``, the ``profile_export`` asset)."""

    model_config = ConfigDict(frozen=True)

    normalisation: str = Field(
        default=PROFILE_NORMALISATIONS[0],
        description=" | ".join(PROFILE_NORMALISATIONS) + " (to each plate's controls)",
    )

    @field_validator("normalisation")
    @classmethod
    def _known_normalisation(cls, value: str) -> str:
        return one_of("normalisation", value, PROFILE_NORMALISATIONS)


@dataclass(frozen=True)
class TrainingPolicy:
    """When automation trains the ConvAE (``PHENODAG_TRAIN_MIN_IMAGES``, ``PHENODAG_RETRAIN_AFTER_PLATES``).

    Attributes
    ----------
    min_images
        Ingested images a home needs before its first ConvAE is trained (0: never
        automatically; a new model stays a decision taken by hand).
    retrain_after_plates
        With a champion, train again once this many plates have landed since the last
        training automation asked for (or since the policy first saw the champion);
        0: never retrain automatically.
    """

    min_images: int = 500
    retrain_after_plates: int = 0

    def __post_init__(self) -> None:
        if self.min_images < 0 or self.retrain_after_plates < 0:
            raise ValueError(f"training policy counts must be 0 or more, got {self}")

    def describe(self) -> str:
        """Say the policy in one sentence, as the UI shows it."""
        if self.min_images == 0:
            return "automatic ConvAE training is off (PHENODAG_TRAIN_MIN_IMAGES=0): train by hand"
        retrain = (
            f"retrained once {self.retrain_after_plates} new plate(s) have landed"
            if self.retrain_after_plates
            else "never retrained automatically"
        )
        return f"the ConvAE is trained once the home holds {self.min_images} images and has no champion; {retrain}"
