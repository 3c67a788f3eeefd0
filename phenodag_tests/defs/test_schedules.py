import dagster as dg

from phenodag.core.settings import Settings
from phenodag.defs.resources import InboxResource, LakeResource
from phenodag.defs.schedules import inbox_sweep
from phenodag_tests.defs.conftest import run_ingest
from phenodag_tests.toy_plate import write_toy_plate


def sweep(instance: dg.DagsterInstance, settings: Settings) -> object:
    ctx = dg.build_schedule_context(
        instance=instance,
        resources={
            "inbox": InboxResource(path=str(settings.inbox), marker="COMPLETE"),
            "lake": LakeResource(root=settings.lake),
        },
    )
    return inbox_sweep(ctx)


def test_sweep_ingests_what_was_missed(defs: dg.Definitions, instance: dg.DagsterInstance, settings: Settings) -> None:
    write_toy_plate(settings.inbox, "P1", sites=1)
    write_toy_plate(settings.inbox, "P2", sites=1, seed=3)
    run_ingest(defs, instance, "P1")
    requests = sweep(instance, settings)
    assert isinstance(requests, list) and [r.partition_key for r in requests] == ["P2"]
    assert "P2" in instance.get_dynamic_partitions("plates")
    run_ingest(defs, instance, "P2")
    assert isinstance(sweep(instance, settings), dg.SkipReason)
