"""The compare stage's config, defined once (Dagster's ``CompareConfig`` subclasses it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from phenodag.core.shared.vocab import DISTANCE_METRICS, PROFILE_NORMALISATIONS


class CompareConfig(BaseModel):
    """How encoders are compared on one screen."""

    model_config = ConfigDict(frozen=True)

    late_window_h: float = Field(
        default=24.0, description="Profiles come from the time points within this many hours of each plate's last."
    )
    normalisation: str = Field(
        default=PROFILE_NORMALISATIONS[0],
        description=f"Profiles normalised to their plate's controls first: {' | '.join(PROFILE_NORMALISATIONS)}.",
    )
    metrics: list[str] = Field(
        default_factory=lambda: list(DISTANCE_METRICS), description="Distances for replicate similarity."
    )
    cluster_grid: list[int] = Field(
        default_factory=lambda: [5, 10, 15, 20, 30],
        description="UMAP n_neighbors = HDBSCAN min_cluster_size sweep (values above the profile count are skipped).",
    )
    null_size: int = Field(default=10000, ge=100, description="Null samples of each copairs mAP p-value.")
    q_threshold: float = Field(default=0.05, description="FDR-corrected p-value below which a condition is active.")
    seed: int = Field(default=0, description="Seed of UMAP, the classifier and the mAP null.")
