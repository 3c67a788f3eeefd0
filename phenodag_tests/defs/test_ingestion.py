from pathlib import Path

import dagster as dg
import polars as pl

from phenodag.core import lake
from phenodag.core.settings import Settings
from phenodag_tests.defs.conftest import run_ingest
from phenodag_tests.toy_plate import write_toy_plate


def checks(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {c.check_name: c.passed for c in result.get_asset_check_evaluations()}


def test_plate_from_inbox_lands_with_passing_checks(
    defs: dg.Definitions, instance: dg.DagsterInstance, settings: Settings
) -> None:
    write_toy_plate(settings.inbox, "P1", sites=1)
    result = run_ingest(defs, instance, "P1")
    assert result.success
    assert checks(result) == dict.fromkeys(
        ["plate_accepted", "no_quarantined_files", "all_wells_mapped", "expected_timepoints", "covers_every_condition"],
        True,
    )
    raw = lake.read_table(settings.lake, "raw_images")
    assert raw.height == 16 and set(raw["plate_id"]) == {"P1"}
    mat = result.asset_materializations_for_node("ingest_plate")
    by_key = {m.asset_key.to_user_string(): m.metadata for m in mat}
    assert by_key["raw_images"]["dagster/row_count"].value == 16
    assert by_key["raw_images"]["uri"].value.endswith("raw_images")
    assert lake.read_table(settings.lake, "plates")["status"].to_list() == ["ingested"]


def test_second_plate_leaves_the_first_alone(
    defs: dg.Definitions, instance: dg.DagsterInstance, settings: Settings
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
    defs: dg.Definitions, instance: dg.DagsterInstance, settings: Settings
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
    defs: dg.Definitions, instance: dg.DagsterInstance, settings: Settings
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


def test_partition_key_escaping_the_inbox_is_quarantined(
    defs: dg.Definitions, instance: dg.DagsterInstance, settings: Settings, tmp_path: Path
) -> None:
    write_toy_plate(tmp_path, "x", sites=1)  # a real plate folder next to the inbox's parent
    result = run_ingest(defs, instance, "../x")
    assert not checks(result)["plate_accepted"]
    assert not lake.table_exists(settings.lake, "raw_images")
    q = lake.read_table(settings.lake, "quarantine")
    assert q["plate_id"].to_list() == ["../x"] and "not allowed" in q["reason"][0]


def test_plate_dir_config_ingests_a_folder_outside_the_inbox(
    defs: dg.Definitions, instance: dg.DagsterInstance, settings: Settings, tmp_path: Path
) -> None:
    folder = write_toy_plate(tmp_path / "elsewhere", "EXT1", sites=1)
    result = run_ingest(defs, instance, "EXT1", plate_dir=str(folder))
    assert result.success and all(checks(result).values())
    assert set(lake.read_table(settings.lake, "raw_images")["plate_id"]) == {"EXT1"}
