"""The daily inbox sweep: ingests complete plates that no ingestion has seen in their current state."""

import dagster as dg

from phenodag.core.inbox import pending, scan_inbox
from phenodag.core.tables import PLATES_SCHEMA
from phenodag.defs.ingestion import ingest_job
from phenodag.defs.partitions import plates_partitions
from phenodag.defs.resources import InboxResource, LakeResource


@dg.schedule(
    job=ingest_job,
    cron_schedule="0 3 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily at 03:00: compares the inbox with the plates table and ingests every complete plate "
    "whose folder changed since its last ingestion (missed sensor ticks, a daemon that was down).",
)
def inbox_sweep(
    context: dg.ScheduleEvaluationContext, inbox: InboxResource, lake: LakeResource
) -> list[dg.RunRequest] | dg.SkipReason:
    """Request ingestion of complete plates missing from, or changed since, the plates table."""
    plates = lake.read_or_empty("plates", PLATES_SCHEMA)
    seen = dict(zip(plates["plate_id"].to_list(), plates["fingerprint"].to_list(), strict=True))
    todo = pending(scan_inbox(inbox.folder, inbox.marker).plates, seen)
    if not todo:
        return dg.SkipReason("every complete plate in the inbox is ingested in its current state")
    name = plates_partitions.name or "plates"
    new = sorted({a.plate_id for a in todo} - set(context.instance.get_dynamic_partitions(name)))
    if new:  # schedules cannot return partition requests, so the sweep adds them itself
        context.instance.add_dynamic_partitions(name, new)
    return [dg.RunRequest(partition_key=a.plate_id, run_key=f"{a.plate_id}:{a.fingerprint}") for a in todo]
