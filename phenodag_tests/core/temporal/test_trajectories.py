import numpy as np
import polars as pl
import pytest

from phenodag.core.temporal.config import TrajectoryConfig
from phenodag.core.temporal.trajectories import condition_means, row_distance, snap_times, trajectories

RAW = TrajectoryConfig(profile_normalisation="none")  # these tests check distances on the vectors as given


def wells(rows: list[tuple[str, str, float, bool, float, list[float]]]) -> pl.DataFrame:
    df = pl.DataFrame(
        rows, schema=["cell_line", "compound", "concentration_um", "is_control", "time_h", "vector"], orient="row"
    )
    return df.with_columns(pl.col("vector").cast(pl.Array(pl.Float64, len(rows[0][5]))))


def test_row_distances_match_scipy() -> None:
    from scipy.spatial import distance

    rng = np.random.default_rng(0)
    a, b = rng.random((4, 6)), rng.random((4, 6))
    for metric in ("euclidean", "cosine", "correlation", "braycurtis"):
        expected = [getattr(distance, metric)(x, y) for x, y in zip(a, b, strict=True)]
        assert np.allclose(row_distance(a, b, metric), expected)
    with pytest.raises(ValueError, match="metric"):
        row_distance(a, b, "manhattan")


def test_replicates_averaged_and_nearest_control_matched() -> None:
    df = wells(
        [
            ("A", "DMSO", 0.0, True, 0.0, [0.0, 0.0]),
            ("A", "DMSO", 0.0, True, 0.1, [2.0, 0.0]),
            ("A", "DMSO", 0.0, True, 4.0, [1.0, 1.0]),
            ("A", "X", 1.0, False, 0.2, [3.0, 4.0]),
            ("A", "X", 1.0, False, 0.3, [5.0, 4.0]),
            ("A", "X", 1.0, False, 3.4, [4.0, 5.0]),  # nearest control is 4.0, not the earlier 0.05
        ]
    )
    traj, stats = trajectories(df, "enc", RAW)
    assert stats.unmatched_points == 0
    first, second = traj.rows(named=True)
    assert first["n_wells"] == 2 and first["n_control_wells"] == 2  # replicate wells averaged
    assert first["distance"] == pytest.approx(np.hypot(4.0 - 1.0, 4.0 - 0.0))
    assert second["control_time_h"] == 4.0 and second["distance"] == pytest.approx(np.hypot(3.0, 4.0))


def test_points_without_close_control_are_dropped_and_counted() -> None:
    df = wells(
        [
            ("A", "DMSO", 0.0, True, 0.0, [0.0]),
            ("A", "X", 1.0, False, 0.0, [1.0]),
            ("A", "X", 1.0, False, 6.0, [2.0]),
        ]
    )
    traj, stats = trajectories(df, "enc", TrajectoryConfig(tolerance_h=1.0, profile_normalisation="none"))
    assert traj["time_h"].to_list() == [0.0] and stats.unmatched_points == 1


def test_condition_without_controls_is_skipped_and_counted() -> None:
    df = wells(
        [
            ("A", "DMSO", 0.0, True, 0.0, [0.0]),
            ("A", "X", 1.0, False, 0.0, [1.0]),
            ("B", "X", 1.0, False, 0.0, [1.0]),  # cell line B has no controls
        ]
    )
    traj, stats = trajectories(df, "enc", RAW)
    assert set(traj["cell_line"]) == {"A"}
    assert stats.conditions_without_controls == [("B", "X", 1.0)]


def test_single_time_point_plate() -> None:
    df = wells([("A", "DMSO", 0.0, True, 24.0, [0.0]), ("A", "X", 1.0, False, 24.0, [2.0])])
    traj, _ = trajectories(df, "enc", RAW)
    assert traj.select("time_h", "distance").rows() == [(24.0, 2.0)]


def test_snap_times_groups_replicate_plates() -> None:
    snapped = snap_times(pl.Series([0.0, 0.2, 2.0, 2.3, 4.9]), 0.5)
    assert snapped.to_list() == [0.1, 0.1, 2.15, 2.15, 4.9]
    drugs, controls = condition_means(
        wells(
            [
                ("A", "DMSO", 0.0, True, 0.0, [0.0]),
                ("A", "X", 1.0, False, 0.2, [1.0]),
                ("A", "X", 1.0, False, 0.0, [3.0]),
            ]
        )
    )
    assert drugs["n_wells"].to_list() == [2] and drugs["vector"].to_list() == [[2.0]]
    assert controls["n_control_wells"].to_list() == [1]


def test_noise_floor_of_two_control_averages() -> None:
    from phenodag.core.temporal.trajectories import noise_floor

    controls = np.array([[0.0], [2.0], [4.0]])
    # splits of 1 vs 2: |0-3|, |2-2|, |4-1| → RMS sqrt((9+0+9)/3) = sqrt(6), rescaled to 3 controls
    scale = np.sqrt((1 + 1 / 3) / (1 + 1 / 2))
    assert noise_floor(controls, 1) == pytest.approx(np.sqrt(6) * scale)
    assert noise_floor(controls, 3) is None  # nothing left to compare with


def test_excess_removes_the_noise_floor() -> None:
    rng = np.random.default_rng(0)
    rows = [("A", "DMSO", 0.0, True, t, list(rng.normal(0, 1, 8))) for t in (0.0, 24.0) for _ in range(6)]
    rows += [("A", "same", 1.0, False, t, list(rng.normal(0, 1, 8))) for t in (0.0, 24.0) for _ in range(2)]
    rows += [("A", "far", 1.0, False, t, list(rng.normal(5 if t else 0, 1, 8))) for t in (0.0, 24.0) for _ in range(2)]
    traj, _ = trajectories(wells(rows), "enc", RAW)
    late = traj.filter(pl.col("time_h") == 24.0).sort("compound")
    far, same = late.row(0, named=True), late.row(1, named=True)
    assert same["noise_floor"] > 0 and same["excess"] < 0.6 * same["distance"]
    assert far["excess"] == pytest.approx(np.sqrt(far["distance"] ** 2 - far["noise_floor"] ** 2))
    assert far["excess"] == pytest.approx(5 * np.sqrt(8), rel=0.25)  # the true distance between the means


def test_trajectories_normalise_to_each_plates_controls_first() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for plate, offset, scale in (("P1", 0.0, 1.0), ("P2", 50.0, 10.0)):  # the second plate reads brighter and noisier
        for w in range(6):
            control = w < 3
            for t in (0.0, 24.0):
                shift = 0.0 if control or t == 0 else 3.0  # the drug moves feature 0 by 3 control sds at 24 h
                v = offset + scale * (rng.normal(0, 1, 2) + np.array([shift, 0.0]))
                rows.append(("L", "DMSO" if control else "X", 0.0 if control else 1.0, control, t, v.tolist(), plate))
    df = pl.DataFrame(
        rows,
        schema=["cell_line", "compound", "concentration_um", "is_control", "time_h", "vector", "plate_id"],
        orient="row",
    ).with_columns(pl.col("vector").cast(pl.Array(pl.Float64, 2)))
    normalised, _ = trajectories(df, "enc")
    raw, _ = trajectories(df, "enc", RAW)
    late = normalised.filter(pl.col("time_h") == 24.0)["distance"][0]
    early = normalised.filter(pl.col("time_h") == 0.0)["distance"][0]
    assert late > 2 * early  # in control sds, the effect stands out on both plates
    assert raw.filter(pl.col("time_h") == 24.0)["distance"][0] > 10  # raw: dominated by the noisy plate's scale
