from pathlib import Path

import polars as pl

from phenodag.core.shared import lake
from phenodag.core.shared.lake_health import (
    DAMAGED,
    check_lake,
    check_table,
    damaged_versions,
    partitions_of,
    repair_table,
    restore,
)


def _table(root: Path) -> str:
    for plate in ("P1", "P2"):
        lake.write_partition(str(root), "t", pl.DataFrame({"plate_id": [plate] * 2, "x": [1, 2]}), {"plate_id": plate})
    return str(root)


def test_partitions_are_read_from_hive_paths() -> None:
    paths = ["plate_id=P1/a.parquet", "x/encoder=e/plate_id=P2/b.parquet", "plate_id=P1/c.parquet", "flat.parquet"]
    assert partitions_of(paths) == [{"plate_id": "P1"}, {"encoder": "e", "plate_id": "P2"}]


def test_healthy_table_checks_ok(tmp_path: Path) -> None:
    root = _table(tmp_path)
    health = check_table(root, "t")
    assert health.ok and health.version == 1 and "ok" in health.summary()
    assert [h.name for h in check_lake(root, ["t", "absent"])] == ["t"]


def test_missing_file_is_found_and_removed(tmp_path: Path) -> None:
    root = _table(tmp_path)
    next((tmp_path / "t" / "plate_id=P2").glob("*.parquet")).unlink()
    health = check_table(root, "t")
    assert not health.ok and health.partitions == [{"plate_id": "P2"}] and len(health.missing_files) == 1
    repair_table(root, "t")
    assert check_table(root, "t").ok
    assert lake.read_table(root, "t")["plate_id"].to_list() == ["P1", "P1"]


def test_truncated_commit_is_set_aside(tmp_path: Path) -> None:
    root = _table(tmp_path)
    entry = tmp_path / "t" / "_delta_log" / "00000000000000000001.json"
    entry.write_bytes(entry.read_bytes()[:40])
    assert damaged_versions(root, "t") == [1]
    assert check_table(root, "t").damaged_versions == [1]
    repair_table(root, "t")
    assert (tmp_path / "t" / DAMAGED / entry.name).exists()
    assert check_table(root, "t").ok and lake.read_table(root, "t").height == 2


def test_restore_is_a_new_version(tmp_path: Path) -> None:
    root = _table(tmp_path)
    assert restore(root, "t", 0) == 2
    assert set(lake.read_table(root, "t")["plate_id"]) == {"P1"}
