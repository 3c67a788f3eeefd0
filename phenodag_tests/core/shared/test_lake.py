from pathlib import Path

import polars as pl
import pytest

from phenodag.core.shared import lake


def frame(plate: str, values: list[int]) -> pl.DataFrame:
    return pl.DataFrame({"plate_id": [plate] * len(values), "v": values})


@pytest.fixture
def root(tmp_path: Path) -> str:
    return str(tmp_path / "lake")


def test_partition_overwrite_touches_only_its_partition(root: str) -> None:
    lake.write_partition(root, "t", frame("A", [1, 2]), {"plate_id": "A"})
    lake.write_partition(root, "t", frame("B", [3]), {"plate_id": "B"})
    info = lake.write_partition(root, "t", frame("A", [7]), {"plate_id": "A"})
    assert info.rows == 1 and info.version == 2
    got = lake.read_table(root, "t").sort("v")
    assert got.rows() == [("B", 3), ("A", 7)]


def test_empty_frame_clears_partition(root: str) -> None:
    lake.write_partition(root, "t", frame("A", [1]), {"plate_id": "A"})
    lake.write_partition(root, "t", frame("B", [2]), {"plate_id": "B"})
    lake.write_partition(root, "t", frame("A", []), {"plate_id": "A"})
    assert lake.read_table(root, "t")["plate_id"].to_list() == ["B"]


def test_rows_of_another_partition_are_refused_and_table_kept(root: str) -> None:
    lake.write_partition(root, "t", frame("A", [1]), {"plate_id": "A"})
    with pytest.raises(ValueError, match="plate_id != 'A'"):
        lake.write_partition(root, "t", frame("B", [2]), {"plate_id": "A"})
    assert lake.read_table(root, "t").rows() == [("A", 1)]
    assert len(lake.list_versions(root, "t")) == 1


def test_quotes_and_path_characters_in_partition_values(root: str, tmp_path: Path) -> None:
    lake.write_partition(root, "t", frame("O'Brien", [1]), {"plate_id": "O'Brien"})
    lake.write_partition(root, "t", frame("../x", [2]), {"plate_id": "../x"})
    lake.write_partition(root, "t", frame("../x", [3]), {"plate_id": "../x"})
    assert sorted(lake.read_table(root, "t").rows()) == [("../x", 3), ("O'Brien", 1)]
    assert not (tmp_path / "x").exists()  # the partition folder stays inside the table


def test_read_with_filters_on_several_partitions(root: str) -> None:
    for plate, v in [("A", 1), ("B", 2), ("C", 3)]:
        lake.write_partition(root, "t", frame(plate, [v]), {"plate_id": plate})
    got = lake.read_table(root, "t", filters={"plate_id": ["A", "C"]}, columns=["v"])
    assert sorted(got["v"].to_list()) == [1, 3]


def test_versions_and_time_travel(root: str) -> None:
    lake.write_partition(root, "log", frame("A", [1]), {"plate_id": "A"})
    lake.write_partition(root, "log", frame("A", [2]), {"plate_id": "A"})
    assert lake.read_table(root, "log")["v"].to_list() == [2]
    assert lake.read_table(root, "log", version=0)["v"].to_list() == [1]
    history = lake.list_versions(root, "log")
    assert [h["version"] for h in history] == [1, 0]


def test_write_table_replaces_schema(root: str) -> None:
    lake.write_table(root, "s", pl.DataFrame({"a": [1]}))
    lake.write_table(root, "s", pl.DataFrame({"b": ["x"]}))
    assert lake.read_table(root, "s").columns == ["b"]


def test_missing_table_and_bad_names(root: str) -> None:
    with pytest.raises(FileNotFoundError, match="nope"):
        lake.read_table(root, "nope")
    empty = lake.read_table_or_empty(root, "nope", {"a": pl.Int32})
    assert empty.height == 0 and empty.schema == {"a": pl.Int32}
    with pytest.raises(ValueError, match="table name"):
        lake.table_uri(root, "../evil")
