"""The single Dagster ``Definitions`` of phenodag (``workspace.yaml`` points here).

One module per stage in :mod:`phenodag.defs` (``ingest``, ``simulate``, ``embed``,
``compare``, ``temporal``, ``groups``, ``sql``) contributes its assets, checks, jobs, sensors and
schedules; the resources are filled from one :class:`Settings`, and so is where steps run
(:mod:`phenodag.defs.shared.placement`: the executor, the torch steps' pool and GPU requests).
"""

from typing import Any

import dagster as dg

from phenodag.core.shared.settings import Settings
from phenodag.defs import compare, embed, groups, ingest, lens, report, simulate, sql, temporal
from phenodag.defs.shared.automation import automate, automation_sensor
from phenodag.defs.shared.placement import executor_for, place_torch_steps
from phenodag.defs.shared.resources import EncodersResource, InboxResource, LakeResource, MlflowResource, TorchResource
from phenodag.defs.shared.stage_config import read_stage_config, with_config_defaults


def build_definitions(settings: Settings | None = None, resources: dict[str, Any] | None = None) -> dg.Definitions:
    """Build the Definitions for one phenodag home (from the environment by default).

    Parameters
    ----------
    settings
        The home; ``Settings.from_env()`` when None.
    resources
        Replace resources by key (e.g. ``{"encoders": EncodersResource(...)}``).
    """
    s = settings or Settings.from_env()
    sql_assets = sql.load_sql_assets(s.sql_dir)
    assets = [
        ingest.ingest_plate_assets,
        simulate.sim_truth,
        simulate.sim_masks,
        embed.convae_model,
        embed.embeddings,
        embed.well_embeddings,
        embed.profile_export,
        temporal.temporal_trajectories,
        temporal.temporal_clustering,
        temporal.growth,
        temporal.response_calling,
        compare.compare_encoder,
        compare.encoder_comparison,
        lens.lens_classifier,
        lens.lens,
        groups.image_groups,
        groups.group_cv,
        groups.group_transfer,
        groups.group_robustness,
        report.screen_report,
        *sql_assets,
    ]
    return dg.Definitions(
        assets=automate(
            place_torch_steps(
                with_config_defaults(assets, read_stage_config(s.stage_config), str(s.stage_config)), s.torch_device
            ),
            s,
            [a.key.to_user_string() for a in sql_assets],
        ),
        executor=executor_for(s),
        jobs=[
            ingest.ingest_plate_job,
            sql.sql_models_job,
            embed.train_convae_job,
            embed.embed_job,
            embed.export_job,
            temporal.temporal_job,
            temporal.growth_job,
            compare.compare_job,
            compare.encoder_comparison_job,
            lens.lens_classifier_job,
            lens.lens_job,
            groups.groups_job,
            groups.group_cv_job,
            groups.group_reuse_job,
            report.report_job,
        ],
        sensors=[ingest.build_inbox_sensor(s.sensor_interval_s), automation_sensor(s), embed.build_training_sensor(s)],
        schedules=[ingest.inbox_sweep],
        resources={
            "lake": LakeResource(root=s.lake, storage_options=dict(s.lake_storage_options)),
            "inbox": InboxResource(path=str(s.inbox), marker=s.marker),
            "mlflow": MlflowResource(
                tracking_uri=s.mlflow_tracking_uri, artifact_root=str(s.mlflow_artifact_root), ui_url=s.mlflow_ui_url
            ),
            "torch": TorchResource(device=s.torch_device, checkpoint_dir=str(s.checkpoint_dir)),
            "encoders": EncodersResource(
                phenoml_weights=str(s.phenoml_weights) if s.phenoml_weights else None,
                weights_dir=str(s.weights_dir) if s.weights_dir else None,
                tracking_uri=s.mlflow_tracking_uri,
                artifact_root=str(s.mlflow_artifact_root),
            ),
            **(resources or {}),
        },
    )


defs = build_definitions()
