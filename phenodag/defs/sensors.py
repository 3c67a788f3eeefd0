"""The inbox sensor: a complete plate folder becomes a partition and an ingestion run."""

import json
import os

import dagster as dg

from phenodag.core.inbox import pending, scan_inbox
from phenodag.defs.ingestion import ingest_job
from phenodag.defs.partitions import plates_partitions
from phenodag.defs.resources import InboxResource

SENSOR_INTERVAL_S = int(os.environ.get("PHENODAG_SENSOR_INTERVAL_S", "30"))


@dg.sensor(
    job=ingest_job,
    minimum_interval_seconds=SENSOR_INTERVAL_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches the inbox; a plate folder with its completion marker is added as a partition and "
    "ingested. The cursor remembers each plate's fingerprint, so a plate that grows is ingested again.",
)
def inbox_sensor(context: dg.SensorEvaluationContext, inbox: InboxResource) -> dg.SensorResult | dg.SkipReason:
    """Request one ingestion run per new or changed complete plate folder."""
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
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
        run_requests=[
            dg.RunRequest(
                partition_key=a.plate_id,
                run_key=f"{a.plate_id}:{a.fingerprint}",
                tags={"phenodag/plate_dir": str(a.path)},
            )
            for a in todo
        ],
        dynamic_partitions_requests=[plates_partitions.build_add_request(new)] if new else [],
        cursor=json.dumps(seen, sort_keys=True),
    )
