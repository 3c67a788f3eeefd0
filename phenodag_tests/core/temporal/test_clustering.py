import numpy as np
import polars as pl
import pytest

from phenodag.core.temporal.annotate import concentration_switches, effect_size, shape_type
from phenodag.core.temporal.clustering import dtw_kmeans, normalise, to_series
from phenodag.core.temporal.config import ClusterConfig
from phenodag.core.temporal.run import cluster_trajectories

T = np.linspace(0, 1, 20)
SHAPES = {
    "no_effect": np.exp(-3 * T),  # decaying
    "cytotoxic": 1 / (1 + np.exp(-10 * (T - 0.4))),  # monotonic rise
    "cytostatic": np.exp(-(((T - 0.35) / 0.12) ** 2)),  # rise, then return
    "mixed": np.exp(-(((T - 0.25) / 0.08) ** 2)) + 1.2 / (1 + np.exp(-15 * (T - 0.75))),  # rise, dip, rise
}


def noisy_shapes(per_shape: int, seed: int) -> np.ndarray:
    """Normalised cytotoxic, cytostatic and mixed curves with a little noise, ``per_shape`` of each."""
    rng = np.random.default_rng(seed)
    shapes = [s for s in ("cytotoxic", "cytostatic", "mixed") for _ in range(per_shape)]
    return np.stack([normalise((SHAPES[s] + rng.normal(0, 0.02, T.size))[None])[0] for s in shapes])


@pytest.mark.parametrize(("expected", "curve"), SHAPES.items())
def test_shape_rules(expected: str, curve: np.ndarray) -> None:
    assert shape_type(normalise(curve[None])[0]) == expected


def test_flat_curves_are_no_effect() -> None:
    assert shape_type(np.zeros(10)) == "no_effect"
    assert shape_type(np.array([0.0, 1.0])) == "no_effect"  # too short to have a shape


def test_normalisations() -> None:
    raw = np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])
    z = normalise(raw)
    assert np.allclose(z[0], [-1.2247449, 0, 1.2247449]) and np.all(z[1] == 0)
    assert np.allclose(normalise(raw, "minmax")[0], [0, 0.5, 1])
    with pytest.raises(ValueError, match="normalisation"):
        normalise(raw, "l2")


def test_raw_amplitude_makes_tiny_trajectories_no_effect() -> None:
    grid = np.array([-2.0, 0.0, 2.0, 4.0, 6.0])
    raw = np.array(
        [
            [1.0, 1.0, 2.0, 4.0, 8.0],  # 8x its pre-treatment baseline
            [1.0, 1.0, 1.05, 1.1, 1.2],
        ]
    )  # rises in shape, tiny in amplitude
    assert np.allclose(effect_size(grid, raw), [8.0, 1.2])
    assert shape_type(normalise(raw[:1])[0]) == "cytotoxic"  # the small one is below any min_effect > 1.2


def test_to_series_resamples_when_plates_differ() -> None:
    traj = pl.DataFrame(
        {
            "cell_line": ["A"] * 5,
            "compound": ["X", "X", "X", "Y", "Y"],
            "concentration_um": [1.0] * 5,
            "time_h": [0.0, 2.0, 4.0, 1.0, 3.0],
            "distance": [0.0, 2.0, 4.0, 1.0, 3.0],
        }
    )
    s = to_series(traj)
    assert s.grid.tolist() == [1.0, 3.0] and np.allclose(s.raw, [[1.0, 3.0], [1.0, 3.0]])
    with pytest.raises(ValueError, match="at least two"):
        to_series(traj.filter(pl.col("time_h") < 1.5))


@pytest.mark.slow
def test_dtw_kmeans_separates_shapes_and_picks_k() -> None:
    x = noisy_shapes(5, seed=0)
    result = dtw_kmeans(x, range(2, 6), seed=0)
    assert result.k == 3 and set(result.scan["k"]) == {2, 3, 4, 5}
    groups = [set(result.labels[i * 5 : (i + 1) * 5]) for i in range(3)]
    assert all(len(g) == 1 for g in groups) and len(set.union(*groups)) == 3
    assert sorted(shape_type(b) for b in result.barycenters) == ["cytostatic", "cytotoxic", "mixed"]
    with pytest.raises(ValueError, match="too few"):
        dtw_kmeans(x[:2], range(2, 4))


def test_pipeline_and_switches() -> None:
    grid = np.arange(-4.0, 48.0, 4.0)
    t = (grid + 4) / 52
    rows = []
    curves = {
        ("C1", 1.0): SHAPES["cytostatic"],
        ("C1", 10.0): SHAPES["cytotoxic"],
        ("C2", 1.0): SHAPES["cytotoxic"],
        ("C2", 10.0): SHAPES["cytotoxic"],
        ("C3", 1.0): SHAPES["cytostatic"],
        ("C3", 10.0): SHAPES["cytostatic"],
    }
    for (compound, conc), curve in curves.items():
        values = np.interp(t, T, curve) * 5 + 1.0
        values[grid <= 0] = 1.0
        rows += [("A", compound, conc, g, v) for g, v in zip(grid, values, strict=True)]
    traj = pl.DataFrame(rows, schema=["cell_line", "compound", "concentration_um", "time_h", "distance"], orient="row")
    result = cluster_trajectories(traj, "enc", ClusterConfig(k_min=2, k_max=3))
    by = {(r["compound"], r["concentration_um"]): r["response_type"] for r in result.clusters.iter_rows(named=True)}
    assert by[("C1", 1.0)] == "cytostatic" and by[("C1", 10.0)] == "cytotoxic" and by[("C2", 1.0)] == "cytotoxic"
    switches = concentration_switches(result.clusters)
    assert switches.select("compound", "switch").rows() == [("C1", "cytostatic→cytotoxic")]
    assert result.scan["chosen"].sum() == 1


def test_coverage_rule_takes_the_smallest_k_that_shows_every_shape() -> None:
    x = noisy_shapes(4, seed=1)
    result = dtw_kmeans(x, range(2, 6), seed=0, rule="coverage", shape_of=shape_type)
    assert result.k == 3 and result.scan.filter(pl.col("k") == 3)["shapes"][0] == 3
    assert result.scan["shapes"].max() == 3
    with pytest.raises(ValueError, match="rule"):
        dtw_kmeans(x, range(2, 4), rule="elbow", shape_of=shape_type)


def test_only_responders_are_clustered() -> None:
    grid = np.arange(-4.0, 48.0, 4.0)
    t = (grid + 4) / 52
    rows = []
    rng = np.random.default_rng(0)
    for i in range(4):
        values = np.interp(t, T, SHAPES["cytotoxic"]) * 10
        rows += [("A", f"T{i}", 1.0, g, v, 4.0) for g, v in zip(grid, values, strict=True)]
        noise = np.abs(rng.normal(0, 0.5, grid.size))  # below its floor of 4: control-like
        rows += [("A", f"N{i}", 1.0, g, v, 4.0) for g, v in zip(grid, noise, strict=True)]
    traj = pl.DataFrame(
        rows, schema=["cell_line", "compound", "concentration_um", "time_h", "excess", "noise_floor"], orient="row"
    ).with_columns(distance=pl.col("excess"))
    result = cluster_trajectories(traj, "enc", ClusterConfig(k_min=2, k_max=3))
    quiet = result.clusters.filter(pl.col("compound").str.starts_with("N"))
    assert (quiet["cluster"] == -1).all() and (quiet["response_type"] == "no_effect").all()
    assert quiet["distance_to_centroid"].null_count() == 4
    loud = result.clusters.filter(pl.col("compound").str.starts_with("T"))
    assert (loud["cluster"] >= 0).all() and (loud["response_type"] == "cytotoxic").all()
    assert result.normalised.shape[0] == 4


def test_cluster_plot_without_responders_is_an_empty_panel() -> None:
    from phenodag.core.temporal.figures import cluster_plot

    png = cluster_plot(np.arange(3.0), np.zeros((0, 3)), np.zeros(0, int), np.zeros((0, 3)), [])
    assert png.startswith(b"\x89PNG")
