"""Ingestion: the inbox sensor and daily sweep hand a plate folder to ``ingest_plate``, which writes its rows.

Route of a plate: :func:`inbox_sensor` scans the inbox (``core.ingest.inbox``), adds
each new or grown plate as a partition and requests one run whose config carries the
folder and fingerprint it found; ``ingest_plate`` ingests exactly that folder
(``core.ingest.plate``) and writes ``raw_images``, ``quarantine`` and ``plates`` for
the partition. A run without ``plate_dir`` (a Materialize click) finds the plate's
folder in the inbox.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl
from pydantic import Field

from phenodag.core.ingest.config import IngestConfig as CoreIngestConfig
from phenodag.core.ingest.run import (
    Arrival,
    IngestResult,
    find_plate_folder,
    ingest_plate,
    missing_timepoints,
    pending,
    plate_sheet,
    scan_inbox,
)
from phenodag.core.shared.lake import LakeError
from phenodag.core.shared.tables import TABLES
from phenodag.core.shared.vocab import EXPERIMENT_PLATES
from phenodag.defs.shared.metadata import markdown_table, write_metadata
from phenodag.defs.shared.partitions import plates_partitions
from phenodag.defs.shared.resources import InboxResource, LakeResource, MlflowResource
from phenodag.defs.shared.settings import DagsterSettings

GROUP = "ingest"
INGEST_PLATE_JOB = "ingest_plate_job"
RAW_IMAGES = dg.AssetKey("raw_images")


class IngestConfig(dg.Config, CoreIngestConfig):
    """Run config of a plate ingestion: the folder the sensor found, and how to read it."""

    plate_dir: str | None = Field(
        default=None, description="Plate folder to ingest; by default the inbox folder of the partition's plate."
    )
    fingerprint: str | None = Field(default=None, description="The folder's fingerprint when the sensor saw it.")


def run_request(arrival: Arrival) -> dg.RunRequest:
    """The ingestion run of one plate folder, as the sensor, the sweep and the CLI request it."""
    config = {"plate_dir": str(arrival.path), "fingerprint": arrival.fingerprint}
    return dg.RunRequest(
        partition_key=arrival.plate_id,
        run_key=f"{arrival.plate_id}:{arrival.fingerprint}",
        run_config={"ops": {"ingest_plate": {"config": config}}},
    )


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
    yield _check(
        "platemap_wells_imaged",
        not result.unimaged_wells,
        dg.AssetCheckSeverity.WARN,
        f"{len(result.unimaged_wells)} plate-map well(s) without images.",
        wells=", ".join(result.unimaged_wells),
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


def _contact_sheet(
    context: dg.AssetExecutionContext, mlflow: MlflowResource, images: pl.DataFrame
) -> dict[str, dg.MarkdownMetadataValue]:
    """The plate's contact sheet as metadata, logged to an MLflow run of ``phenodag-plates`` (the UI shows it inline).

    The sheet is an illustration: a failure to draw or log it is a warning, never a failed ingestion.
    """
    try:
        sheet = plate_sheet(images)
        if sheet is None:
            return {}
        with mlflow.start_run(context, EXPERIMENT_PLATES, run_name=f"Plate {context.partition_key}") as run:
            return mlflow.figure(run, sheet, "contact_sheet", "wells over time")
    except Exception as exc:
        context.log.warning(f"no contact sheet for {context.partition_key}: {exc}")
        return {}


def _previous(context: dg.AssetExecutionContext, lake: LakeResource, name: str, part: dict[str, str]) -> pl.DataFrame:
    """The partition's current rows; unreadable ones (a lost data file) read as none, with a warning.

    The partition is rewritten whole by this run, so a plate whose files were lost is
    mended by ingesting it again (every file is then decoded anew).
    """
    try:
        return lake.read_or_empty(name, part)
    except LakeError as exc:
        context.log.warning(f"previous {name} rows of {part} are unreadable; ingesting the plate afresh: {exc}")
        return pl.DataFrame(schema=TABLES[name].schema)


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
        dg.AssetCheckSpec(
            "platemap_wells_imaged", asset=RAW_IMAGES, description="Every well of the plate map has images."
        ),
    ],
    partitions_def=plates_partitions,
    can_subset=False,
)
def ingest_plate_assets(
    context: dg.AssetExecutionContext,
    config: IngestConfig,
    lake: LakeResource,
    inbox: InboxResource,
    mlflow: MlflowResource,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Ingest the partition's plate folder; unchanged files are reused, bad files quarantined."""
    plate_id = context.partition_key
    part = {"plate_id": plate_id}
    folder = Path(config.plate_dir) if config.plate_dir else find_plate_folder(inbox.folder, plate_id, inbox.marker)
    last = _previous(context, lake, "plates", part)
    result = ingest_plate(
        folder,
        plate_id,
        previous=_previous(context, lake, "raw_images", part),
        previous_quarantine=_previous(context, lake, "quarantine", part),
        workers=config.workers,
        fingerprint=config.fingerprint,
        since=last["ingested_at"][0] if last.height else None,
        max_pixels=config.max_pixels,
    )
    if result.images is not None:
        info = lake.write_partition("raw_images", result.images, part)
        yield dg.MaterializeResult(
            asset_key="raw_images",
            metadata={
                **_contact_sheet(context, mlflow, result.images),
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


ingest_plate_job = dg.define_asset_job(
    INGEST_PLATE_JOB,
    selection=dg.AssetSelection.assets(ingest_plate_assets, "sim_truth", "sim_masks"),
    partitions_def=plates_partitions,
    description="Ingest one plate (partition) from the inbox.",
)


def _landed(lake: LakeResource) -> dict[str, str]:
    """The fingerprint each plate had when it was last ingested, from the ``plates`` table."""
    plates = lake.read_or_empty("plates")
    return dict(zip(plates["plate_id"].to_list(), plates["fingerprint"].to_list(), strict=True))


def build_inbox_sensor(interval_s: int) -> dg.SensorDefinition:
    """The inbox sensor, evaluated every ``interval_s`` seconds (``DagsterSettings.sensor_interval_s``)."""

    @dg.sensor(
        name="inbox_sensor",
        job=ingest_plate_job,
        minimum_interval_seconds=interval_s,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Watches the inbox; a plate folder with its completion marker is added as a partition and "
        "ingested. A plate is taken again when its folder's fingerprint differs from the one the cursor or the "
        "plates table remembers, so a plate that grows is ingested again and one ingested from the command line "
        "(the demo) is not.",
    )
    def inbox_sensor(
        context: dg.SensorEvaluationContext, inbox: InboxResource, lake: LakeResource
    ) -> dg.SensorResult | dg.SkipReason:
        """Request one ingestion run per new or changed complete plate folder."""
        seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        try:
            seen.update(_landed(lake))
        except LakeError as exc:
            context.log.warning(f"plates table unreadable, going by the sensor's cursor alone: {exc}")
        scan = scan_inbox(inbox.folder, inbox.marker)
        for err in scan.refused:
            context.log.warning(f"cannot take plate folder: {err}")
        todo = pending(scan.plates, seen)
        if not todo:
            return dg.SkipReason(f"no new or changed complete plate in {inbox.folder}")
        known = set(context.instance.get_dynamic_partitions(plates_partitions.name or "plates"))
        new = sorted({a.plate_id for a in todo} - known)
        for a in todo:
            if a.problem:
                context.log.warning(f"plate folder {a.path} taken as plate {a.plate_id!r}: {a.problem}")
        seen.update({a.plate_id: a.fingerprint for a in todo})
        return dg.SensorResult(
            run_requests=[run_request(a) for a in todo],
            dynamic_partitions_requests=[plates_partitions.build_add_request(new)] if new else [],
            cursor=json.dumps(seen, sort_keys=True),
        )

    return inbox_sensor


@dg.schedule(
    job=ingest_plate_job,
    cron_schedule="0 3 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily at 03:00: compares the inbox with the plates table and ingests every complete plate "
    "whose folder changed since its last ingestion (missed sensor ticks, a daemon that was down).",
)
def inbox_sweep(
    context: dg.ScheduleEvaluationContext, inbox: InboxResource, lake: LakeResource
) -> list[dg.RunRequest] | dg.SkipReason:
    """Request ingestion of complete plates missing from, or changed since, the plates table."""
    todo = pending(scan_inbox(inbox.folder, inbox.marker).plates, _landed(lake))
    if not todo:
        return dg.SkipReason("every complete plate in the inbox is ingested in its current state")
    name = plates_partitions.name or "plates"
    new = sorted({a.plate_id for a in todo} - set(context.instance.get_dynamic_partitions(name)))
    if new:  # schedules cannot return partition requests, so the sweep adds them itself
        context.instance.add_dynamic_partitions(name, new)
    return [run_request(a) for a in todo]


def definitions(settings: DagsterSettings) -> dg.Definitions:
    """Return the ingest stage's assets, jobs, sensors and schedules for the home ``settings``."""
    return dg.Definitions(
        assets=[ingest_plate_assets],
        jobs=[ingest_plate_job],
        sensors=[build_inbox_sensor(settings.sensor_interval_s)],
        schedules=[inbox_sweep],
    )
