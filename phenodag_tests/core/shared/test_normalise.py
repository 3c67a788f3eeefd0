import numpy as np
import polars as pl
import pytest

from phenodag.core.shared.normalise import MAD_TO_SD, ControlNormaliser, normalise_profiles, robust_z


def plate_profiles(seed: int = 0, n: int = 40, dim: int = 5) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    scales = np.array([0.01, 1.0, 100.0, 5.0, 0.5])[:dim]
    rows = []
    for plate, offset in (("P1", 0.0), ("P2", 3.0)):
        x = offset + rng.normal(0, 1, (n, dim)) * scales
        control = np.arange(n) < n // 2
        x[~control, 0] += 0.05  # the drug moves feature 0 by 5 control sds
        rows.append(pl.DataFrame({"plate_id": plate, "is_control": control, "vector": x}))
    df = pl.concat(rows)
    return df.with_columns(pl.col("vector").cast(pl.Array(pl.Float64, dim)))


def test_robust_z_of_the_controls_has_median_0_and_mad_1_per_feature_and_plate() -> None:
    out = normalise_profiles(plate_profiles())
    assert out.schema["vector"] == pl.Array(pl.Float32, 5)
    for plate in ("P1", "P2"):
        ctrl = np.asarray(out.filter((pl.col("plate_id") == plate) & pl.col("is_control"))["vector"].to_numpy())
        median = np.median(ctrl, axis=0)
        mad = MAD_TO_SD * np.median(np.abs(ctrl - median), axis=0)
        assert np.allclose(median, 0, atol=1e-5) and np.allclose(mad, 1, atol=1e-4)
    drugs = np.asarray(out.filter(~pl.col("is_control"))["vector"].to_numpy())
    assert np.median(drugs[:, 0]) > 3  # the effect, in control sds, whatever the feature's scale


def test_features_without_a_measurable_control_spread_are_not_blown_up() -> None:
    rng = np.random.default_rng(2)
    x = np.column_stack(
        [
            np.r_[np.ones(3), 3.0],  # constant in the controls, moved by the drug: scaled by all wells' spread
            np.r_[2.0, 4.0, 6.0, 8.0],  # an ordinary feature
            1e-9 * rng.normal(0, 1, 4),  # a dead ReLU channel: rounding noise only
        ]
    )
    z = robust_z(x, np.array([True, True, True, False]))
    assert np.isfinite(z).all() and np.abs(z).max() < 5
    assert z[:3, 0].tolist() == [0, 0, 0] and z[3, 0] == pytest.approx(2 / x[:, 0].std())
    assert (z[:, 2] == 0).all()


def test_sphering_decorrelates_the_controls_and_none_leaves_vectors_alone() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(0, 1, (200, 1))
    x = np.hstack([base, base + 0.75 * rng.normal(0, 1, (200, 1)), rng.normal(0, 1, (200, 1))])
    df = pl.DataFrame({"plate_id": "P", "is_control": np.ones(200, bool), "vector": x}).with_columns(
        pl.col("vector").cast(pl.Array(pl.Float64, 3))
    )
    z = np.asarray(normalise_profiles(df, "robust_z")["vector"].to_numpy())
    s = np.asarray(normalise_profiles(df, "robust_z_sphere")["vector"].to_numpy())
    assert abs(np.corrcoef(z.T)[0, 1]) > 0.7 and abs(np.corrcoef(s.T)[0, 1]) < 0.2
    assert normalise_profiles(df, "none") is df
    with pytest.raises(ValueError, match="expected one of"):
        normalise_profiles(df, "zca")


def test_a_fitted_normaliser_transforms_later_rows_of_the_same_plates_alike() -> None:
    rng = np.random.default_rng(1)
    matrix = rng.normal(size=(12, 3)) + np.repeat([[0.0], [50.0]], 6, axis=0)  # plate B reads 50 higher
    plates = ["A"] * 6 + ["B"] * 6
    controls = np.array([True, True, True, False, False, False] * 2)
    for method in ("robust_z", "robust_z_sphere"):
        fitted = ControlNormaliser.fit(matrix, plates, controls, method)
        whole = fitted.apply(matrix, plates)
        order = [11, 0, 5, 6]  # some rows, in another order, later
        assert np.allclose(fitted.apply(matrix[order], [plates[i] for i in order]), whole[order])
    with pytest.raises(ValueError, match=r"no robust_z fitted for \['C'\]"):
        ControlNormaliser.fit(matrix, plates, controls, "robust_z").apply(matrix[:1], ["C"])
