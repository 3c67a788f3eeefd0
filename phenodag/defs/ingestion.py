"""Ingestion: one run per plate writes its rows of ``raw_images``, ``quarantine`` and ``plates``."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from pydantic import Field

from phenodag.core.inbox import find_plate_folder
from phenodag.core.ingest import (
    IngestResult,
    ingest_plate,
    missing_timepoints,
    rejected_plate,
)
from phenodag.core.platemap import PlateError
from phenodag.core.tables import QUARANTINE_SCHEMA, RAW_IMAGES_SCHEMA
from phenodag.defs.metadata import markdown_table, write_metadata
from phenodag.defs.partitions import plates_partitions
from phenodag.defs.resources import InboxResource, LakeResource

GROUP = "ingestion"
RAW_IMAGES = dg.AssetKey("raw_images")


class IngestConfig(dg.Config):
    """Run config of a plate ingestion."""

    plate_dir: str | None = Field(
        default=None, description="Plate folder to ingest; by default the inbox folder of the partition's plate."
    )
    workers: int = Field(default=2, ge=1, description="Threads that hash and decode images.")


def _check(
    name: str, passed: bool, severity: dg.AssetCheckSeverity, description: str, **metadata: object
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=name,
        asset_key=RAW_IMAGES,
        passed=passed,
        severity=severity,
        description=description,
        metadata=metadata,  # type: ignore[arg-type]
    )


def _checks(result: IngestResult) -> Iterator[dg.AssetCheckResult]:
    q = result.quarantine
    unmapped = q.filter(q["kind"] == "unmapped_well")
    yield _check(
        "plate_accepted",
        not result.rejected,
        dg.AssetCheckSeverity.ERROR,
        "The plate as a whole was readable (plate id, plate.yaml, plate map, layout).",
        reason=q["reason"][0] if result.rejected else "",
    )
    yield _check(
        "no_quarantined_files",
        q.height == 0,
        dg.AssetCheckSeverity.WARN,
        f"{q.height} file(s) quarantined.",
        quarantined=dg.MetadataValue.md(markdown_table(q)),
    )
    yield _check(
        "all_wells_mapped",
        not result.rejected and unmapped.height == 0,
        dg.AssetCheckSeverity.ERROR,
        f"{unmapped.height} image(s) from wells missing in the plate map.",
        unmapped=dg.MetadataValue.md(markdown_table(unmapped)),
    )
    gaps = missing_timepoints(result.images) if result.images is not None else None
    yield _check(
        "expected_timepoints",
        gaps is not None and gaps.height == 0,
        dg.AssetCheckSeverity.WARN,
        "Every well and site has every time point of the plate."
        if gaps is not None
        else "No images: the plate was rejected.",
        incomplete_fields=dg.MetadataValue.md(markdown_table(gaps)) if gaps is not None else "",
    )


@dg.multi_asset(
    name="ingest_plate",
    specs=[
        dg.AssetSpec(
            "raw_images",
            group_name=GROUP,
            kinds={"delta", "polars"},
            skippable=True,
            description="One row per image of each plate: metadata from the plate map, time since "
            "treatment, path, sha256, size and bit depth. Partitioned by plate.",
        ),
        dg.AssetSpec(
            "quarantine",
            group_name=GROUP,
            kinds={"delta"},
            description="Files (or whole plates) that could not land, with the reason.",
        ),
        dg.AssetSpec(
            "plates",
            group_name=GROUP,
            kinds={"delta"},
            description="One row per plate: layout, counts, fingerprint, ingested_at.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "plate_accepted", asset=RAW_IMAGES, blocking=True, description="The plate folder was readable as a whole."
        ),
        dg.AssetCheckSpec(
            "no_quarantined_files", asset=RAW_IMAGES, description="No file of the plate was quarantined."
        ),
        dg.AssetCheckSpec("all_wells_mapped", asset=RAW_IMAGES, description="Every imaged well is in the plate map."),
        dg.AssetCheckSpec(
            "expected_timepoints", asset=RAW_IMAGES, description="Every well and site has every time point."
        ),
    ],
    partitions_def=plates_partitions,
    can_subset=False,
)
def ingest_plate_assets(
    context: dg.AssetExecutionContext, config: IngestConfig, lake: LakeResource, inbox: InboxResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Ingest the partition's plate folder; unchanged files are reused, bad files quarantined."""
    plate_id = context.partition_key
    part = {"plate_id": plate_id}
    previous = lake.read_or_empty("raw_images", RAW_IMAGES_SCHEMA, part)
    previous_q = lake.read_or_empty("quarantine", QUARANTINE_SCHEMA, part)
    try:
        folder = Path(config.plate_dir) if config.plate_dir else find_plate_folder(inbox.folder, plate_id, inbox.marker)
        result = ingest_plate(folder, plate_id, previous, previous_q, workers=config.workers)
    except PlateError as exc:
        result = rejected_plate(inbox.folder, plate_id, exc, previous_quarantine=previous_q)
    except FileNotFoundError as exc:
        result = rejected_plate(
            inbox.folder, plate_id, PlateError(inbox.folder, str(exc)), previous_quarantine=previous_q
        )
    for row in result.quarantine.iter_rows(named=True):
        context.log.warning(f"quarantined {row['path']}: {row['reason']}")
    if result.images is not None:
        info = lake.write_partition("raw_images", result.images, part)
        yield dg.MaterializeResult(
            asset_key="raw_images",
            metadata={
                **write_metadata(info, result.images),
                "new_images": int(result.plate["n_new"][0]),
                "layout": result.layout or "",
            },
        )
    info = lake.write_partition("quarantine", result.quarantine, part)
    yield dg.MaterializeResult(asset_key="quarantine", metadata=write_metadata(info, result.quarantine))
    info = lake.write_partition("plates", result.plate, part)
    yield dg.MaterializeResult(asset_key="plates", metadata=write_metadata(info, result.plate))
    yield from _checks(result)


ingest_job = dg.define_asset_job(
    "ingest_plate_job",
    selection=dg.AssetSelection.assets(ingest_plate_assets, "sim_truth"),
    partitions_def=plates_partitions,
    description="Ingest one plate (partition) from the inbox.",
)
