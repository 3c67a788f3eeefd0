"""Simulation ground truth of a plate: planted responses (``sim_truth``) and per-image masks (``sim_masks``)."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl

from phenodag.core.simulate.run import SIM_TRUTH_SCHEMA, TRUTH_FILE, mask_rows, read_truth, uncovered_conditions
from phenodag.defs.shared.metadata import markdown_table, write_metadata
from phenodag.defs.shared.partitions import plates_partitions
from phenodag.defs.shared.resources import LakeResource
from phenodag.defs.shared.settings import DagsterSettings

GROUP = "simulate"


@dg.asset(
    partitions_def=plates_partitions,
    deps=["plates", "raw_images"],
    group_name=GROUP,
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
    plates = lake.read_or_empty("plates", part)
    folder = Path(plates["source_dir"][0]) if plates.height else None
    truth = read_truth(folder / TRUTH_FILE, context.partition_key) if folder else pl.DataFrame(schema=SIM_TRUTH_SCHEMA)
    info = lake.write_partition("sim_truth", truth, part)
    yield dg.MaterializeResult(metadata={**write_metadata(info, truth), "simulated": truth.height > 0})
    images = lake.read_or_empty("raw_images", part)
    missing = uncovered_conditions(images, truth) if truth.height else images.clear()
    yield dg.AssetCheckResult(
        passed=missing.height == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{missing.height} imaged condition(s) without truth" if truth.height else "not a simulated plate",
        metadata={"missing": dg.MetadataValue.md(markdown_table(missing))},
    )


@dg.asset(partitions_def=plates_partitions, deps=["raw_images"], group_name=GROUP, kinds={"delta", "polars"})
def sim_masks(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    """Truth masks of a simulated plate's images: one row per landed image whose mask file exists.

    The masks (cells, and cells expressing the compound's signature) stay files in the
    plate folder; the row points at one and gives its cell and signature fractions. The
    lens stage scores its importance maps against them. Real plates get an empty partition.
    """
    part = {"plate_id": context.partition_key}
    masks = mask_rows(lake.read_or_empty("raw_images", part))
    info = lake.write_partition("sim_masks", masks, part)
    return dg.MaterializeResult(metadata={**write_metadata(info, masks), "simulated": masks.height > 0})


def definitions(settings: DagsterSettings) -> dg.Definitions:
    """Return the simulate stage's assets, jobs, sensors and schedules for the home ``settings``."""
    return dg.Definitions(assets=[sim_truth, sim_masks])
