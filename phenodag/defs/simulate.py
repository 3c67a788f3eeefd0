"""Simulation ground truth: the planted responses of a simulated plate, as table ``sim_truth``."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl

from phenodag.core.shared.tables import PLATES_SCHEMA, RAW_IMAGES_SCHEMA
from phenodag.core.simulate.screen import SIM_TRUTH_SCHEMA, TRUTH_FILE
from phenodag.core.simulate.truth import read_truth, uncovered_conditions
from phenodag.defs.shared.metadata import markdown_table, write_metadata
from phenodag.defs.shared.partitions import plates_partitions
from phenodag.defs.shared.resources import LakeResource


@dg.asset(
    partitions_def=plates_partitions,
    deps=["plates", "raw_images"],
    group_name="simulation",
    kinds={"delta", "polars"},
    check_specs=[
        dg.AssetCheckSpec(
            "covers_every_condition",
            asset="sim_truth",
            description="Every imaged condition of a simulated plate has a truth row.",
        )
    ],
)
def sim_truth(
    context: dg.AssetExecutionContext, lake: LakeResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Planted truth of a simulated plate (response type, onset, strength, signature per condition).

    Read from the plate folder's ``sim_truth.csv``; a plate without one (real data) gets
    an empty partition.
    """
    part = {"plate_id": context.partition_key}
    plates = lake.read_or_empty("plates", PLATES_SCHEMA, part)
    folder = Path(plates["source_dir"][0]) if plates.height else None
    truth = read_truth(folder / TRUTH_FILE, context.partition_key) if folder else pl.DataFrame(schema=SIM_TRUTH_SCHEMA)
    info = lake.write_partition("sim_truth", truth, part)
    yield dg.MaterializeResult(metadata={**write_metadata(info, truth), "simulated": truth.height > 0})
    images = lake.read_or_empty("raw_images", RAW_IMAGES_SCHEMA, part)
    missing = uncovered_conditions(images, truth) if truth.height else images.clear()
    yield dg.AssetCheckResult(
        passed=missing.height == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{missing.height} imaged condition(s) without truth" if truth.height else "not a simulated plate",
        metadata={"missing": dg.MetadataValue.md(markdown_table(missing))},
    )
