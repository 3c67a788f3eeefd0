import numpy as np
import polars as pl
import pytest

from phenodag.core.groups.config import GroupingConfig
from phenodag.core.groups.grouping import assign_folds, build_groups, configuration_label, parse_configuration

SCREEN = pl.col("group_set") == "screen"


def image(plate: int, well: str, site: int, compound: str, conc: float, time: float) -> dict[str, object]:
    return {
        "plate_id": f"P{plate}",
        "well": well,
        "site": site,
        "cell_line": "HCT 15",
        "compound": compound,
        "concentration_um": conc,
        "is_control": compound == "DMSO",
        "replicate": plate + 1,
        "time_h": time,
        "path": f"/x/P{plate}/{well}_{site}_{time}.tif",
        "status": "ok",
    }


def raw(
    compounds: int = 3,
    plates: int = 2,
    sites: int = 2,
    drop: int | None = None,
    times: tuple[float, ...] = (24.0, 72.0),
) -> pl.DataFrame:
    rows = []
    for p in range(plates):
        wells = [(f"C{c}", conc) for c in range(compounds) for conc in (0.1, 1.0)] + [("DMSO", 0.0)] * 2
        for w, (compound, conc) in enumerate(wells, start=1):
            for s in range(1, sites + 1):
                rows += [image(p, f"A{w:02d}", s, compound, conc, t) for t in times]
    df = pl.DataFrame(rows)
    return df if drop is None else df.filter(pl.arange(0, df.height) != drop)


def test_one_image_per_configuration_in_order() -> None:
    groups, stats = build_groups(raw(), GroupingConfig(n_folds=2))
    groups = groups.filter(SCREEN)
    assert groups.height == 3 * 2 * 2 and stats.incomplete_groups == 0
    assert groups["configurations"].to_list()[0] == ["0.1uM@24h", "0.1uM@72h", "1uM@24h", "1uM@72h"]
    assert all(len(set(ids)) == 4 for ids in groups["image_ids"])
    used = groups["paths"].explode()
    assert used.n_unique() == used.len()  # no image in two groups


def test_incomplete_group_is_dropped_and_counted() -> None:
    groups, stats = build_groups(raw(drop=0), GroupingConfig(n_folds=2))
    assert stats.incomplete_groups == 1 and groups.filter(SCREEN).height == 11


def test_quarantined_rows_do_not_count() -> None:
    df = raw().with_columns(status=pl.when(pl.arange(0, pl.len()) == 0).then(pl.lit("bad")).otherwise(pl.col("status")))
    assert build_groups(df, GroupingConfig(n_folds=2))[1].incomplete_groups == 1


def test_controls_as_a_class() -> None:
    groups, _ = build_groups(raw(), GroupingConfig(n_folds=2, include_controls=True))
    ctrl = groups.filter(pl.col("compound") == "DMSO")
    assert set(groups["group_set"]) == {"screen"}
    assert ctrl.height == 2 * 2  # 2 control wells stand in for the 2 concentrations: 1 group per plate and site
    assert set(ctrl["configurations"].list.len()) == {4}


def test_stratified_folds_keep_proportions_and_are_disjoint() -> None:
    labels = np.repeat(["a", "b", "c"], [12, 6, 18])
    folds = assign_folds(labels, 6, seed=3)
    assert set(folds) == set(range(6))
    for f in range(6):
        counts = {c: int(np.sum((folds == f) & (labels == c))) for c in "abc"}
        assert counts == {"a": 2, "b": 1, "c": 3}
    assert np.array_equal(folds, assign_folds(labels, 6, seed=3))


def test_compound_with_too_few_groups_is_dropped() -> None:
    groups, stats = build_groups(raw(plates=1, sites=2), GroupingConfig(n_folds=3))
    assert groups.height == 0 and stats.compounds_too_few_groups == ["C0", "C1", "C2", "DMSO"]


def test_configuration_labels_round_trip() -> None:
    assert parse_configuration(configuration_label(0.1, 24.0)) == (0.1, 24.0)
    with pytest.raises(ValueError):
        build_groups(raw(), GroupingConfig(n_folds=1))


def test_controls_form_their_own_set_with_their_own_folds() -> None:
    groups, _ = build_groups(raw(), GroupingConfig(n_folds=2))
    ctrl = groups.filter(pl.col("group_set") == "control")
    assert set(ctrl["compound"]) == {"DMSO"} and ctrl.height == 4 and set(ctrl["fold"]) == {0, 1}
    assert "DMSO" not in groups.filter(SCREEN)["compound"].to_list()


def test_library_plates_are_grouped_apart() -> None:
    groups, _ = build_groups(raw(plates=3), GroupingConfig(n_folds=2, library="P2"))
    lib = groups.filter(pl.col("group_set") == "library")
    assert set(lib["plate_id"]) == {"P2"} and lib.height == 3 * 2  # one plate, two sites
    assert "P2" not in groups.filter(SCREEN)["plate_id"].to_list()
    screen_only, _ = build_groups(raw(plates=3), GroupingConfig(n_folds=2, screen="P1", library="P2"))
    assert set(screen_only.filter(SCREEN)["plate_id"]) == {"P1"}


def test_time_points_choose_the_configurations() -> None:
    df = raw(times=(0.0, 24.0, 48.0, 72.0))
    resolved, _ = build_groups(df, GroupingConfig(n_folds=2, time_points=[24.0, 72.0]))
    assert resolved["configurations"][0].to_list() == ["0.1uM@24h", "0.1uM@72h", "1uM@24h", "1uM@72h"]
    endpoint, _ = build_groups(df, GroupingConfig(n_folds=2, time_points=[72.0]))
    assert endpoint["configurations"][0].to_list() == ["0.1uM@72h", "1uM@72h"]
    assert endpoint["group_id"].to_list() == resolved["group_id"].to_list()  # the same wells, fewer times
    with pytest.raises(ValueError, match=r"\[30.0\] h have no images"):
        build_groups(df, GroupingConfig(n_folds=2, time_points=[30.0]))
