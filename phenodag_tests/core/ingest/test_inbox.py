from pathlib import Path

from phenodag.core.ingest.inbox import find_plate_folder, fingerprint, pending, scan_inbox
from phenodag_tests.toy_plate import write_toy_plate


def test_only_marked_folders_count(tmp_path: Path) -> None:
    write_toy_plate(tmp_path, "P1", times_h=(0.0,), wells=("B02",), sites=1)
    write_toy_plate(tmp_path, "P2", times_h=(0.0,), wells=("B02",), sites=1, complete=False)
    scan = scan_inbox(tmp_path)
    assert [a.plate_id for a in scan.plates] == ["P1"]
    assert scan_inbox(tmp_path / "absent").plates == []


def test_fingerprint_changes_when_plate_grows(tmp_path: Path) -> None:
    folder = write_toy_plate(tmp_path, "P1", times_h=(0.0,), wells=("B02",), sites=1)
    before = fingerprint(folder)
    assert fingerprint(folder) == before
    write_toy_plate(tmp_path, "P1", times_h=(0.0, 2.0), wells=("B02",), sites=1)
    after = fingerprint(folder)
    assert after != before
    arrivals = scan_inbox(tmp_path).plates
    assert pending(arrivals, {"P1": before}) == arrivals
    assert pending(arrivals, {"P1": after}) == []


def test_plate_yaml_id_and_refused_ids(tmp_path: Path) -> None:
    named = write_toy_plate(tmp_path, "upload_1", times_h=(0.0,), wells=("B02",), sites=1)
    (named / "plate.yaml").write_text("plate_id: CL3_P2\n")
    bad = write_toy_plate(tmp_path, "upload_2", times_h=(0.0,), wells=("B02",), sites=1)
    (bad / "plate.yaml").write_text("plate_id: ../x\n")
    scan = scan_inbox(tmp_path)
    by_id = {a.plate_id: a for a in scan.plates}
    assert set(by_id) == {"CL3_P2", "upload_2"}
    assert by_id["upload_2"].problem is not None and "../x" in by_id["upload_2"].problem
    assert find_plate_folder(tmp_path, "CL3_P2") == named.resolve()
    assert find_plate_folder(tmp_path, "nope") is None
    assert find_plate_folder(tmp_path, "../x") is None
