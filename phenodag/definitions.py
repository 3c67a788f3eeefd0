"""The single Dagster ``Definitions`` of phenodag (``workspace.yaml`` points here).

Each stage's module in :mod:`phenodag.defs` (:data:`STAGES`) returns its own ``Definitions``
(``definitions(settings)``: assets, checks, jobs, sensors, schedules); they are merged here. What
spans stages is added once: the automation conditions and sensor, the stage-config defaults,
the resources filled from one :class:`DagsterSettings`, and where steps run
(:mod:`phenodag.defs.shared.placement`: the executor, the torch steps' pool and GPU requests).
"""

from typing import Any

import dagster as dg

from phenodag.defs import compare, embed, groups, ingest, lens, report, simulate, sql, temporal
from phenodag.defs.shared.automation import automate, automation_sensor
from phenodag.defs.shared.placement import executor_for, place_torch_steps
from phenodag.defs.shared.resources import EncodersResource, InboxResource, LakeResource, MlflowResource, TorchResource
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.defs.shared.stage_config import read_stage_config, with_config_defaults

STAGES = (ingest, simulate, sql, embed, temporal, compare, lens, groups, report)
"""Every stage's defs module; each contributes ``definitions(settings)``. A new stage adds one entry here."""


def build_definitions(
    settings: DagsterSettings | None = None, resources: dict[str, Any] | None = None
) -> dg.Definitions:
    """Build the Definitions for one phenodag home (from the environment by default).

    Parameters
    ----------
    settings
        The home; ``DagsterSettings.from_env()`` when None.
    resources
        Replace resources by key (e.g. ``{"encoders": EncodersResource(...)}``).
    """
    s = settings or DagsterSettings.from_env()
    stages = dg.Definitions.merge(*(stage.definitions(s) for stage in STAGES))
    assets = [a for a in stages.assets or [] if isinstance(a, dg.AssetsDefinition)]
    return dg.Definitions(
        assets=automate(
            place_torch_steps(
                with_config_defaults(assets, read_stage_config(s.stage_config), str(s.stage_config)), s.torch_device
            ),
            s,
        ),
        executor=executor_for(s),
        jobs=stages.jobs,
        sensors=[*(stages.sensors or []), automation_sensor(s)],
        schedules=stages.schedules,
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
