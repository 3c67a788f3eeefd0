"""The temporal stage's configs, defined once (Dagster's run configs subclass them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from phenodag.core.shared.vocab import DISTANCE_METRICS, NORMALISATIONS, PROFILE_NORMALISATIONS


class TrajectoryConfig(BaseModel):
    """How trajectories are built (``temporal_trajectories``)."""

    model_config = ConfigDict(frozen=True)

    metric: str = Field(
        default="euclidean",
        description=f"Distance between a condition's and its controls' mean vectors: {' | '.join(DISTANCE_METRICS)}.",
    )
    tolerance_h: float = Field(default=1.0, description="Largest drug-to-control time difference matched.")
    profile_normalisation: str = Field(
        default=PROFILE_NORMALISATIONS[0],
        description=f"Well vectors normalised to their plate's controls first: {' | '.join(PROFILE_NORMALISATIONS)}.",
    )
    time_bin_h: float = Field(default=0.5, description="Times this close are one time point across plates.")


class ClusterConfig(BaseModel):
    """How trajectories are clustered and annotated (``temporal_clustering``)."""

    model_config = ConfigDict(frozen=True)

    normalisation: str = Field(default="zscore", description=f"Per trajectory: {' | '.join(NORMALISATIONS)}.")
    k_min: int = Field(default=2, ge=1, description="Smallest k of the scan.")
    k_max: int = Field(default=6, ge=1, description="Largest k of the scan.")
    min_effect: float = Field(default=0.5, description="Effect size (peak over noise floor) below which: no_effect.")
    value: str = Field(default="excess", description="excess (distance above the noise floor) | distance")
    k_rule: str = Field(
        default="coverage", description="How k is chosen from the scan: coverage | silhouette (see dtw_kmeans)."
    )
    band: float = Field(default=0.1, description="Sakoe-Chiba band of the DTW, as a fraction of the series length.")
    seed: int = Field(default=0, description="Seed of the k-means initialisations.")
