"""Helpers for the Dagster wiring tests."""

import dagster as dg

from phenodag.runner import Runner


def run_ingest(
    defs: dg.Definitions, instance: dg.DagsterInstance, plate_id: str, plate_dir: str | None = None
) -> dg.ExecuteInProcessResult:
    """Run the ingestion of partition ``plate_id`` (of ``plate_dir``, else its inbox folder), as a UI click would."""
    config = {"ops": {"ingest_plate": {"config": {"plate_dir": plate_dir}}}} if plate_dir else None
    return Runner(defs, instance).ingest_partition(plate_id, config)
