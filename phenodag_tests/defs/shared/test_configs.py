"""Every Dagster run config is its core config: same fields, same defaults, one definition."""

import dagster as dg
import pytest
from pydantic import BaseModel

from phenodag.core.embed.config import ConvAETrainingConfig
from phenodag.core.groups.config import GroupCVConfig as CoreGroupCV
from phenodag.core.groups.config import GroupingConfig
from phenodag.core.ingest.config import IngestConfig as CoreIngest
from phenodag.core.temporal.config import ClusterConfig as CoreCluster
from phenodag.core.temporal.config import TrajectoryConfig as CoreTrajectory
from phenodag.defs.embed import ConvAEConfig
from phenodag.defs.groups import GroupCVConfig, GroupsConfig
from phenodag.defs.ingest import IngestConfig
from phenodag.defs.temporal import ClusterConfig, TrajectoryConfig

PAIRS = [
    (ConvAEConfig, ConvAETrainingConfig),
    (GroupsConfig, GroupingConfig),
    (GroupCVConfig, CoreGroupCV),
    (TrajectoryConfig, CoreTrajectory),
    (ClusterConfig, CoreCluster),
    (IngestConfig, CoreIngest),
]


@pytest.mark.parametrize(("dagster_config", "core_config"), PAIRS)
def test_dagster_config_fields_and_defaults_are_the_core_configs(
    dagster_config: type[dg.Config], core_config: type[BaseModel]
) -> None:
    assert issubclass(dagster_config, core_config)  # one definition; the asset hands the config to core as is
    own = set(dagster_config.model_fields) - set(core_config.model_fields)
    assert own <= {"plate_dir", "fingerprint"}  # only the route of a plate (IngestConfig) is Dagster's own
    core_defaults = core_config()
    for name in core_config.model_fields:
        assert getattr(dagster_config(), name) == getattr(core_defaults, name), name
    schema = dagster_config.to_config_schema().as_field().config_type.fields  # type: ignore[attr-defined]
    assert set(core_config.model_fields) <= set(schema)  # every core field is settable from the launchpad
