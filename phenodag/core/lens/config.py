"""The lens stage's config, defined once (Dagster's run config subclasses it). Torch-free."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from phenodag.core.shared.vocab import CONVAE_ENCODERS, one_of

LENS_ALPHAS = (-60.0, -20.0, -1.0, 0.0, 1.0, 20.0, 60.0)
"""The default α grid (the paper sweeps [-60, 60]); ``lens_models`` is partitioned by it."""

LENS_ENCODERS = CONVAE_ENCODERS[:2]
"""The ConvAEs a lens can start from: the one trained here, or the published weights (not the untrained one)."""


def alpha_key(alpha: float) -> str:
    """Return the partition key of ``alpha``: ``-60``, ``0``, ``0.5``."""
    return f"{alpha:g}"


class LensConfig(BaseModel):
    """What the lens trains on and how (``lens_classifier`` and every α of ``lens_models``)."""

    model_config = ConfigDict(frozen=True)

    encoder: str = Field(
        default=CONVAE_ENCODERS[0],
        description=f"The ConvAE the lens starts from and whose frozen encoder feeds the classifier: "
        f"{' | '.join(LENS_ENCODERS)} (weights as the encoders resource names them).",
    )
    plates: list[str] = Field(default_factory=list, description="Plates to use; empty = every ingested plate.")
    late_window_h: float = Field(default=24.0, description="Images this close to each plate's last time point.")
    val_fraction: float = Field(default=0.34, description="Share of each class's wells held out (at least one).")
    classifier_epochs: int = Field(default=300, ge=1, description="Full-batch epochs of the drug classifier.")
    classifier_lr: float = Field(default=1e-3, description="Adam learning rate of the drug classifier.")
    classifier_weight_decay: float = Field(default=1e-3, description="Adam weight decay of the drug classifier.")
    classifier_label_smoothing: float = Field(
        default=0.1, ge=0.0, lt=1.0, description="Label smoothing of the classifier (keeps L_disc from saturating)."
    )
    hidden: int = Field(default=256, ge=1, description="Hidden units of the classifier (the paper: 4096→256→K).")
    steps: int = Field(default=40, ge=0, description="Optimiser steps of each lens.")
    batch_size: int = Field(default=8, ge=1, description="Images per lens step.")
    lr: float = Field(default=1e-4, description="Adam learning rate of each lens.")
    precision: str = Field(default="auto", description="auto (bf16 autocast where native) | fp32 | bf16")
    map_size: int = Field(default=64, ge=8, description="Side of the importance map stored in lens_maps.")
    map_sigma_px: float = Field(
        default=2.0, ge=0.0, description="Gaussian smoothing of each map, in pixels of the 128 px lens input; 0: raw."
    )
    max_corrections: int = Field(default=5, ge=1, description="Mined corrections kept per case.")
    seed: int = Field(
        default=0, description="Seed of the split, the classifier and every lens (same start for each α)."
    )
    max_images: int = Field(default=0, ge=0, description="Cap on images per split (seeded sample); 0 = all.")

    @field_validator("encoder")
    @classmethod
    def _known_encoder(cls, value: str) -> str:
        return one_of("lens encoder", value, LENS_ENCODERS)
