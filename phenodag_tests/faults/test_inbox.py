"""Fault 1: one malformed plate folder must not stop the inbox sensor for the others."""

import os
from pathlib import Path

import dagster as dg

from phenodag.core.ingest.inbox import scan_inbox
from phenodag.defs.ingest import build_inbox_sensor
from phenodag.defs.shared.resources import InboxResource, LakeResource
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.runner import Runner
from phenodag_tests.faults.conftest import N_IMAGES, quarantine, readable_counts, toy


def _bad_folders(settings: DagsterSettings) -> None:
    toy(settings, "BADCHANNEL")
    (settings.inbox / "BADCHANNEL" / "plate.yaml").write_text("channel: abc\n")
    toy(settings, "DANGLING")
    os.symlink(settings.inbox / "nowhere.tif", settings.inbox / "DANGLING" / "dangling.tif")


def test_scan_judges_each_folder_on_its_own(home: DagsterSettings) -> None:
    _bad_folders(home)
    toy(home, "GOOD")
    scan = scan_inbox(home.inbox)
    by_id = {a.plate_id: a for a in scan.plates}
    assert set(by_id) == {"BADCHANNEL", "DANGLING", "GOOD"}
    problem = by_id["BADCHANNEL"].problem
    assert problem is not None and "channel" in problem and by_id["GOOD"].problem is None


def test_sensor_requests_the_good_plate_and_files_the_bad_one(
    home: DagsterSettings, defs: dg.Definitions, instance: dg.DagsterInstance
) -> None:
    _bad_folders(home)
    toy(home, "GOOD")
    resources = {"inbox": InboxResource(path=str(home.inbox), marker="COMPLETE"), "lake": LakeResource(root=home.lake)}
    with dg.build_sensor_context(instance=instance, resources=resources) as ctx:
        result = build_inbox_sensor(30)(ctx)
    assert isinstance(result, dg.SensorResult)
    requests = {r.partition_key: r for r in result.run_requests or []}
    assert set(requests) == {"BADCHANNEL", "DANGLING", "GOOD"}
    runner = Runner(defs, instance)
    outcomes = {k: runner.ingest_partition(str(k), r.run_config).success for k, r in requests.items()}
    # the rejected plate's run stops at its blocking check, after filing the rejection
    assert outcomes == {"BADCHANNEL": False, "DANGLING": True, "GOOD": True}
    q = quarantine(home)
    bad = q.filter(q["plate_id"] == "BADCHANNEL")
    assert bad["kind"].to_list() == ["plate"] and "channel" in bad["reason"][0]
    dangling = q.filter(q["plate_id"] == "DANGLING")
    assert dangling["kind"].to_list() == ["link"] and "dangling" in dangling["reason"][0]
    counts = readable_counts(home)
    assert counts["raw_images"] == 2 * N_IMAGES and counts["plates"] == 3  # GOOD and DANGLING land whole


def test_unreadable_folder_is_refused_not_raised(home: DagsterSettings, tmp_path: Path, monkeypatch: object) -> None:
    toy(home, "GOOD")
    toy(home, "BROKEN")
    import phenodag.core.ingest.inbox as inbox_mod

    real = inbox_mod.fingerprint

    def failing(folder: Path) -> str:
        if folder.name == "BROKEN":
            raise PermissionError(13, "Permission denied", str(folder))
        return real(folder)

    monkeypatch.setattr(inbox_mod, "fingerprint", failing)  # type: ignore[attr-defined]
    scan = scan_inbox(home.inbox)
    assert [a.plate_id for a in scan.plates] == ["GOOD"]
    assert len(scan.refused) == 1 and "BROKEN" in str(scan.refused[0]) and "Permission" in scan.refused[0].reason
