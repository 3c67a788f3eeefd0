"""The temporal stage's configs, defined once (Dagster's run configs subclass them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from phenodag.core.shared.vocab import DISTANCE_METRICS, GR_SOURCES, NORMALISATIONS, PROFILE_NORMALISATIONS, one_of


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


class GrowthConfig(BaseModel):
    """How GR over time is computed (``growth_gr``; :mod:`.growth`)."""

    model_config = ConfigDict(frozen=True)

    window_h: float = Field(default=12.0, gt=0, description="Length of the moving interval of gr_window (hours).")
    gr_from: str = Field(
        default=GR_SOURCES[0], description=f"The growth readout GR is computed from: {' | '.join(GR_SOURCES)}."
    )

    @field_validator("gr_from")
    @classmethod
    def _known_source(cls, value: str) -> str:
        return one_of("GR source", value, GR_SOURCES)


class GrowthTypingConfig(BaseModel):
    """Thresholds of the growth typing on ``gr_window`` (:mod:`.growth_types` says what each does).

    Defaults derived on training seeds 10-12 only (``benchmarks/growth_thresholds.py``, GR from
    the blob count: 108 conditions, share typed as planted 0.861 against 0.556 for always
    ``no_effect``, ARI 0.87, every planted no-effect and morphology-only condition right;
    the best of a grid, where ``recover`` from 0.5 to 0.9 tie).
    """

    model_config = ConfigDict(frozen=True)

    arrest: float = Field(default=0.3, description="GR below which (lasting) growth is arrested.")
    death: float = Field(default=-0.2, description="GR below which (lasting) cells die.")
    recover: float = Field(default=0.5, description="GR above which an arrested condition has recovered.")
    persist: int = Field(default=3, ge=1, description="Consecutive time points an arrest or a death must last.")
    min_points: int = Field(default=3, ge=1, description="Defined GR values a condition needs to be typed.")
    saturation: float = Field(
        default=0.9, description="Confluence from which a well is full and GR is not read (it slows whatever the drug)."
    )

    @model_validator(mode="after")
    def _ordered(self) -> GrowthTypingConfig:
        if not self.death < self.arrest < self.recover:
            got = f"{self.death}, {self.arrest}, {self.recover}"
            raise ValueError(f"growth thresholds must order death < arrest < recover; got {got}")
        return self
