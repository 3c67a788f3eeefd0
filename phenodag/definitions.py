"""The single Dagster ``Definitions`` of phenodag (``workspace.yaml`` points here)."""

from typing import Any

import dagster as dg

from phenodag.core.settings import Settings
from phenodag.defs.embeddings import embed_job, embeddings, train_job, well_embeddings
from phenodag.defs.groups import group_cv, group_cv_job, groups_job, image_groups
from phenodag.defs.ingestion import ingest_job, ingest_plate_assets
from phenodag.defs.resources import EncodersResource, InboxResource, LakeResource, MlflowResource, TorchResource
from phenodag.defs.schedules import inbox_sweep
from phenodag.defs.sensors import inbox_sensor
from phenodag.defs.simulation import sim_truth
from phenodag.defs.sql_models import load_sql_assets
from phenodag.defs.temporal import temporal_clustering, temporal_job, temporal_trajectories
from phenodag.defs.training import convae_model


def build_definitions(settings: Settings | None = None, resources: dict[str, Any] | None = None) -> dg.Definitions:
    """Build the Definitions for one phenodag home (from the environment by default).

    ``resources`` replaces resources by key (e.g. ``{"encoders": EncodersResource(...)}``).
    """
    s = settings or Settings.from_env()
    return dg.Definitions(
        assets=[
            ingest_plate_assets,
            sim_truth,
            convae_model,
            embeddings,
            well_embeddings,
            temporal_trajectories,
            temporal_clustering,
            image_groups,
            group_cv,
            *load_sql_assets(),
        ],
        jobs=[ingest_job, train_job, embed_job, temporal_job, groups_job, group_cv_job],
        sensors=[inbox_sensor],
        schedules=[inbox_sweep],
        resources={
            "lake": LakeResource(root=s.lake),
            "inbox": InboxResource(path=str(s.inbox), marker=s.marker),
            "mlflow": MlflowResource(tracking_uri=s.mlflow_tracking_uri, artifact_root=str(s.mlflow_artifact_root)),
            "torch": TorchResource(checkpoint_dir=str(s.home / "checkpoints")),
            "encoders": EncodersResource(),
            **(resources or {}),
        },
    )


defs = build_definitions()
