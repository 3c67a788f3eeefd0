import json
from pathlib import Path

import dagster as dg
import polars as pl

from phenodag.core.shared import lake
from phenodag.defs.ingest import INGEST_PLATE_JOB, build_inbox_sensor, inbox_sweep
from phenodag.defs.shared.resources import InboxResource, LakeResource
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.runner import Runner
from phenodag_tests.defs.conftest import run_ingest
from phenodag_tests.toy_plate import write_toy_plate


def checks(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {c.check_name: c.passed for c in result.get_asset_check_evaluations()}


def test_plate_from_inbox_lands_with_passing_checks(
    defs: dg.Definitions, instance: dg.DagsterInstance, settings: DagsterSettings
) -> None:
    write_toy_plate(settings.inbox, "P1", sites=1)
    result = run_ingest(defs, instance, "P1")
    assert result.success
    assert checks(result) == dict.fromkeys(
        [
            "plate_accepted",
            "no_quarantined_files",
            "all_wells_mapped",
            "expected_timepoints",
            "platemap_wells_imaged",
            "covers_every_condition",
        ],
        True,
    )
    raw = lake.read_table(settings.lake, "raw_images")
    assert raw.height == 16 and set(raw["plate_id"]) == {"P1"}
    mat = result.asset_materializations_for_node("ingest_plate")
    by_key = {m.asset_key.to_user_string(): m.metadata for m in mat}
    assert by_key["raw_images"]["dagster/row_count"].value == 16
    assert by_key["raw_images"]["table_in_lake"].value == "raw_images"  # relative: a moved home stays right
    assert lake.read_table(settings.lake, "plates")["status"].to_list() == ["ingested"]


def test_second_plate_leaves_the_first_alone(
    defs: dg.Definitions, instance: dg.DagsterInstance, settings: DagsterSettings
) -> None:
    write_toy_plate(settings.inbox, "P1", sites=1)
    write_toy_plate(settings.inbox, "P2", sites=1, seed=5)
    run_ingest(defs, instance, "P1")
    before = lake.read_table(settings.lake, "raw_images").sort("path")
    run_ingest(defs, instance, "P2")
    run_ingest(defs, instance, "P2")  # idempotent re-run
    after = lake.read_table(settings.lake, "raw_images")
    assert after.filter(pl.col("plate_id") == "P1").sort("path").equals(before)
    assert after.filter(pl.col("plate_id") == "P2").height == 16


def test_quarantined_files_warn_but_good_images_land(
    defs: dg.Definitions, instance: dg.DagsterInstance, settings: DagsterSettings
) -> None:
    folder = write_toy_plate(settings.inbox, "P1", sites=1)
    victim = sorted(folder.glob("*.tif"))[0]
    victim.write_bytes(victim.read_bytes()[:100])
    result = run_ingest(defs, instance, "P1")
    assert result.success
    evals = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert not evals["no_quarantined_files"].passed
    assert evals["no_quarantined_files"].severity == dg.AssetCheckSeverity.WARN
    assert not evals["expected_timepoints"].passed  # the victim's field lost a time point
    assert lake.read_table(settings.lake, "raw_images").height == 15
    q = lake.read_table(settings.lake, "quarantine")
    assert q["path"].to_list() == [str(victim)] and q["kind"].to_list() == ["decode"]


def test_rejected_plate_keeps_previous_rows_and_fails_check(
    defs: dg.Definitions, instance: dg.DagsterInstance, settings: DagsterSettings
) -> None:
    folder = write_toy_plate(settings.inbox, "P1", sites=1)
    run_ingest(defs, instance, "P1")
    (folder / "platemap.csv").write_text("well,compound\nB02,x\n")
    result = run_ingest(defs, instance, "P1")
    evals = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert not evals["plate_accepted"].passed and evals["plate_accepted"].severity == dg.AssetCheckSeverity.ERROR
    assert lake.read_table(settings.lake, "raw_images").height == 16  # untouched
    q = lake.read_table(settings.lake, "quarantine")
    assert q["kind"].to_list() == ["plate"] and "lacks column" in q["reason"][0]
    assert lake.read_table(settings.lake, "plates")["status"].to_list() == ["rejected"]


def test_partition_key_escaping_the_inbox_fails_and_writes_nothing(
    defs: dg.Definitions, instance: dg.DagsterInstance, settings: DagsterSettings, tmp_path: Path
) -> None:
    write_toy_plate(tmp_path, "x", sites=1)  # a real plate folder next to the inbox's parent
    result = run_ingest(defs, instance, "../x")
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert failure is not None and failure.cause is not None and "not allowed" in failure.cause.message
    for table in ("raw_images", "quarantine", "plates"):  # an unsafe id has no partition to be filed under
        assert not lake.table_exists(settings.lake, table)


def test_plate_dir_config_ingests_a_folder_outside_the_inbox(
    defs: dg.Definitions, instance: dg.DagsterInstance, settings: DagsterSettings, tmp_path: Path
) -> None:
    folder = write_toy_plate(tmp_path / "elsewhere", "EXT1", sites=1)
    result = run_ingest(defs, instance, "EXT1", plate_dir=str(folder))
    assert result.success and all(checks(result).values())
    assert set(lake.read_table(settings.lake, "raw_images")["plate_id"]) == {"EXT1"}


def evaluate(
    instance: dg.DagsterInstance, settings: DagsterSettings, cursor: str | None
) -> dg.SensorResult | dg.SkipReason:
    resources = {
        "inbox": InboxResource(path=str(settings.inbox), marker="COMPLETE"),
        "lake": LakeResource(root=settings.lake),
    }
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as ctx:
        return build_inbox_sensor(30)(ctx)


def test_sensor_waits_for_marker_then_requests_once(instance: dg.DagsterInstance, settings: DagsterSettings) -> None:
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


def test_grown_plate_is_requested_again_without_new_partition(
    instance: dg.DagsterInstance, settings: DagsterSettings
) -> None:
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


def test_sensor_skips_plates_ingested_from_the_command_line(
    defs: dg.Definitions, instance: dg.DagsterInstance, settings: DagsterSettings
) -> None:
    write_toy_plate(settings.inbox, "P1", sites=1)
    write_toy_plate(settings.inbox, "P2", sites=1, seed=3)
    Runner(defs, instance).ingest(settings.inbox / "P1")  # as the demo does: the sensor's cursor stays empty
    result = evaluate(instance, settings, None)
    assert isinstance(result, dg.SensorResult)
    assert [r.partition_key for r in result.run_requests or []] == ["P2"]
    write_toy_plate(settings.inbox, "P1", sites=1, times_h=(0.0, 2.0))  # grown since its ingestion
    again = evaluate(instance, settings, result.cursor)
    assert isinstance(again, dg.SensorResult) and [r.partition_key for r in again.run_requests or []] == ["P1"]


def test_refused_plate_yaml_runs_under_folder_name(instance: dg.DagsterInstance, settings: DagsterSettings) -> None:
    folder = write_toy_plate(settings.inbox, "upload_7", sites=1)
    (folder / "plate.yaml").write_text("plate_id: ../x\n")
    result = evaluate(instance, settings, None)
    assert isinstance(result, dg.SensorResult)
    assert [r.partition_key for r in result.run_requests or []] == ["upload_7"]


def sweep(instance: dg.DagsterInstance, settings: DagsterSettings) -> object:
    resources = {
        "inbox": InboxResource(path=str(settings.inbox), marker="COMPLETE"),
        "lake": LakeResource(root=settings.lake),
    }
    with dg.build_schedule_context(instance=instance, resources=resources) as ctx:  # leaves no instance context
        return inbox_sweep(ctx)


def test_sweep_ingests_what_was_missed(
    defs: dg.Definitions, instance: dg.DagsterInstance, settings: DagsterSettings
) -> None:
    write_toy_plate(settings.inbox, "P1", sites=1)
    write_toy_plate(settings.inbox, "P2", sites=1, seed=3)
    run_ingest(defs, instance, "P1")
    requests = sweep(instance, settings)
    assert isinstance(requests, list) and [r.partition_key for r in requests] == ["P2"]
    assert "P2" in instance.get_dynamic_partitions("plates")
    run_ingest(defs, instance, "P2")
    assert isinstance(sweep(instance, settings), dg.SkipReason)


def test_sensor_hands_the_run_the_folder_and_fingerprint_it_found(
    defs: dg.Definitions, instance: dg.DagsterInstance, settings: DagsterSettings
) -> None:
    folder = write_toy_plate(settings.inbox, "upload_3", sites=1)
    (folder / "plate.yaml").write_text("plate_id: CL9\n")
    result = evaluate(instance, settings, None)
    assert isinstance(result, dg.SensorResult)
    (request,) = result.run_requests or []
    config = request.run_config["ops"]["ingest_plate"]["config"]
    assert request.partition_key == "CL9" and config["plate_dir"] == str(folder.resolve())
    instance.add_dynamic_partitions("plates", ["CL9"])
    run = Runner(defs, instance).run(INGEST_PLATE_JOB, "CL9", request.run_config)
    assert run.success
    plates = lake.read_table(settings.lake, "plates")
    assert plates.select("plate_id", "fingerprint").rows() == [("CL9", config["fingerprint"])]
