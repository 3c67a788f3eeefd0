"""Fixtures for the Dagster wiring: definitions bound to a throw-away home, an ephemeral instance."""

from collections.abc import Iterator

import dagster as dg
import pytest

from phenodag.core.settings import Settings
from phenodag.definitions import build_definitions


@pytest.fixture
def defs(settings: Settings) -> dg.Definitions:
    return build_definitions(settings)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as inst:
        yield inst


def run_ingest(
    defs: dg.Definitions, instance: dg.DagsterInstance, plate_id: str, plate_dir: str | None = None
) -> dg.ExecuteInProcessResult:
    """Add the partition and run the ingestion job for it, as the sensor's run would."""
    instance.add_dynamic_partitions("plates", [plate_id])
    config = {"ops": {"ingest_plate": {"config": {"plate_dir": plate_dir}}}} if plate_dir else None
    return defs.resolve_job_def("ingest_plate_job").execute_in_process(
        partition_key=plate_id, instance=instance, run_config=config, raise_on_error=False
    )
