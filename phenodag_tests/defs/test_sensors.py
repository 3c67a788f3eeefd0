import json

import dagster as dg

from phenodag.core.settings import Settings
from phenodag.defs.resources import InboxResource
from phenodag.defs.sensors import inbox_sensor
from phenodag_tests.toy_plate import write_toy_plate


def evaluate(instance: dg.DagsterInstance, settings: Settings, cursor: str | None) -> dg.SensorResult | dg.SkipReason:
    ctx = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"inbox": InboxResource(path=str(settings.inbox), marker="COMPLETE")},
    )
    return inbox_sensor(ctx)


def test_sensor_waits_for_marker_then_requests_once(instance: dg.DagsterInstance, settings: Settings) -> None:
    folder = write_toy_plate(settings.inbox, "P1", sites=1, complete=False)
    assert isinstance(evaluate(instance, settings, None), dg.SkipReason)
    (folder / "COMPLETE").touch()
    result = evaluate(instance, settings, None)
    assert isinstance(result, dg.SensorResult)
    assert [r.partition_key for r in result.run_requests or []] == ["P1"]
    add = result.dynamic_partitions_requests[0]
    assert isinstance(add, dg.AddDynamicPartitionsRequest) and list(add.partition_keys) == ["P1"]
    assert "P1" in json.loads(result.cursor or "{}")
    instance.add_dynamic_partitions("plates", ["P1"])
    assert isinstance(evaluate(instance, settings, result.cursor), dg.SkipReason)


def test_grown_plate_is_requested_again_without_new_partition(instance: dg.DagsterInstance, settings: Settings) -> None:
    write_toy_plate(settings.inbox, "P1", sites=1, times_h=(0.0,))
    first = evaluate(instance, settings, None)
    assert isinstance(first, dg.SensorResult)
    instance.add_dynamic_partitions("plates", ["P1"])
    write_toy_plate(settings.inbox, "P1", sites=1, times_h=(0.0, 2.0))
    second = evaluate(instance, settings, first.cursor)
    assert isinstance(second, dg.SensorResult)
    keys = [(r.partition_key, r.run_key) for r in second.run_requests or []]
    assert [k for k, _ in keys] == ["P1"] and keys[0][1] != (first.run_requests or [])[0].run_key
    assert second.dynamic_partitions_requests == []


def test_refused_plate_yaml_runs_under_folder_name(instance: dg.DagsterInstance, settings: Settings) -> None:
    folder = write_toy_plate(settings.inbox, "upload_7", sites=1)
    (folder / "plate.yaml").write_text("plate_id: ../x\n")
    result = evaluate(instance, settings, None)
    assert isinstance(result, dg.SensorResult)
    assert [r.partition_key for r in result.run_requests or []] == ["upload_7"]
