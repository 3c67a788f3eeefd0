"""The lens's rows and well split: top concentration and controls, late window, no well on both sides."""

import polars as pl
import pytest

from phenodag.core.lens.data import class_names, held_out_wells, lens_rows, split_rows


def _images() -> pl.DataFrame:
    rows = []
    for plate in ("P1", "P2"):
        for w, (compound, conc, ctrl) in enumerate(
            [("DMSO", 0.0, True), ("DMSO", 0.0, True), ("A", 1.0, False), ("A", 10.0, False), ("B", 10.0, False)]
        ):
            for t in (0.0, 24.0, 48.0):
                rows.append(
                    {
                        "plate_id": plate,
                        "well": f"B{w:02d}",
                        "site": 1,
                        "time_h": t,
                        "path": f"/{plate}/{w}/{t}.tif",
                        "cell_line": "L",
                        "compound": compound,
                        "concentration_um": conc,
                        "is_control": ctrl,
                    }
                )
    return pl.DataFrame(rows)


def test_rows_keep_top_concentration_controls_and_the_late_window() -> None:
    rows = lens_rows(_images(), late_window_h=24.0)
    assert set(rows["time_h"]) == {24.0, 48.0}
    assert rows.filter(pl.col("compound") == "A")["concentration_um"].unique().to_list() == [10.0]
    assert class_names(rows) == ["DMSO", "A", "B"]


def test_split_holds_out_whole_wells_of_every_class() -> None:
    rows = lens_rows(_images(), 24.0)
    held = held_out_wells(rows, 0.34, seed=0)
    data = split_rows(rows, class_names(rows), held)
    train_wells = set(data.train.select("plate_id", "well").iter_rows())
    test_wells = set(data.held_out.select("plate_id", "well").iter_rows())
    assert train_wells.isdisjoint(test_wells)
    assert set(data.held_out["class_name"]) == set(data.train["class_name"]) == {"DMSO", "A", "B"}
    assert data.train.height + data.held_out.height == rows.height
    assert sorted(set(data.train["label"])) == [0, 1, 2]


def test_split_is_seeded() -> None:
    rows = lens_rows(_images(), 24.0)
    assert held_out_wells(rows, 0.34, 1) == held_out_wells(rows, 0.34, 1)


def test_classes_do_not_all_hold_out_the_same_plates() -> None:
    """Each class draws its own wells: with one seed per class, every class held out the same positions (plates)."""
    names = ["DMSO", "K1", "K2", "K3", "K4", "K5"]
    frame = pl.DataFrame(
        [
            {"plate_id": plate, "well": f"C{c}", "class_name": name, "is_control": c == 0}
            for c, name in enumerate(names)
            for plate in ("P1", "P2", "P3", "P4")
        ]
    )
    held = held_out_wells(frame, 0.25, seed=0)
    plate_of = {well: plate for plate, well in held}
    assert len(plate_of) == len(names)  # one of four wells per class
    assert len(set(plate_of.values())) > 1, plate_of


def test_a_single_class_is_an_error() -> None:
    rows = lens_rows(_images().filter(pl.col("is_control")), 24.0)
    with pytest.raises(ValueError, match="control and a compound"):
        class_names(rows)
