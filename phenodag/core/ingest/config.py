"""The ingest stage's config, defined once (Dagster's ``IngestConfig`` subclasses it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class IngestConfig(BaseModel):
    """How a plate folder is read."""

    model_config = ConfigDict(frozen=True)

    workers: int = Field(default=2, ge=1, description="Threads that hash and decode images.")
