"""The ingest stage's config, defined once (Dagster's ``IngestConfig`` subclasses it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from phenodag.core.shared.images import MAX_PIXELS


class IngestConfig(BaseModel):
    """How a plate folder is read."""

    model_config = ConfigDict(frozen=True)

    workers: int = Field(default=2, ge=1, description="Threads that hash and decode images.")
    max_pixels: int = Field(
        default=MAX_PIXELS,
        ge=1,
        description="Pixel budget of one image (width x height), checked on its header: a file that declares "
        "more is quarantined without being decoded (decompression bombs).",
    )
