import math

import numpy as np
import polars as pl
import pytest

from phenodag.core.temporal.growth import fit_gr, gr_metrics, gr_over_time, gr_sigmoid, growth_curves

TIMES = np.arange(0.0, 97.0, 8.0)
SHAPES = {
    "control": lambda t: 0.08 * 2 ** (t / 24),
    "like_control": lambda t: 0.08 * 2 ** (t / 24),
    "half": lambda t: 0.08 * 2 ** (t / 48),
    "arrested": lambda t: 0.08 + 0 * t,
    "dying": lambda t: 0.08 * 2 ** (-t / 48),
}


def curves_of(shapes: dict[str, object], wells: int = 3, noise: float = 0.0, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for name, f in shapes.items():
        for w in range(wells):
            for t in TIMES:
                rows.append(
                    {
                        "plate_id": "P1",
                        "well": f"{name}{w}",
                        "cell_line": "L",
                        "compound": "DMSO" if name == "control" else name,
                        "concentration_um": 0.0 if name == "control" else 1.0,
                        "is_control": name == "control",
                        "time_h": float(t),
                        "confluence": float(f(t)) * (1 + noise * rng.normal()),  # type: ignore[operator]
                        "cell_count": 100 * float(f(t)) * (1 + noise * rng.normal()),  # type: ignore[operator]
                        "n_fields": 1,
                    }
                )
    return pl.DataFrame(rows)


def final_gr(gr: pl.DataFrame, compound: str, column: str = "gr") -> float:
    last = gr.filter((pl.col("compound") == compound) & (pl.col("time_h") == TIMES[-1]))
    return float(last[column][0])


def test_gr_of_control_like_arrested_and_dying_conditions() -> None:
    gr = gr_over_time(curves_of(SHAPES), window_h=24.0)
    assert final_gr(gr, "like_control") == pytest.approx(1.0, abs=1e-6)
    assert final_gr(gr, "half") == pytest.approx(2**0.5 - 1, abs=1e-6)  # half the control's rate
    assert final_gr(gr, "arrested") == pytest.approx(0.0, abs=1e-6)
    assert final_gr(gr, "dying") < -0.2
    assert final_gr(gr, "dying", "gr_window") < -0.2
    first = gr.filter(pl.col("time_h") == 0.0)
    assert first["gr"].null_count() == first.height  # no interval at t0: undefined, not 1


def test_gr_is_undefined_where_the_controls_do_not_grow() -> None:
    flat = {"control": lambda t: 0.5 + 0 * t, "arrested": lambda t: 0.5 + 0 * t}
    gr = gr_over_time(curves_of(flat))
    assert gr["gr"].null_count() == gr.height


def test_time_resolved_gr_sees_arrest_then_recovery() -> None:
    def recovering(t: np.ndarray) -> np.ndarray:
        return np.where(t < 48, 0.08, 0.08 * 2 ** ((t - 48) / 24))

    gr = gr_over_time(curves_of({"control": SHAPES["control"], "recovering": recovering}), window_h=24.0)
    rows = gr.filter(pl.col("compound") == "recovering").sort("time_h")
    window = dict(zip(rows["time_h"].to_list(), rows["gr_window"].to_list(), strict=True))
    assert window[40.0] == pytest.approx(0.0, abs=1e-6) and window[96.0] == pytest.approx(1.0, abs=1e-6)


def test_the_sigmoid_fit_recovers_gr50_and_reports_grmax_and_aoc() -> None:
    conc = np.array([0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0])
    gr = gr_sigmoid(conc, -0.4, math.log10(0.5), 1.5)
    fit = fit_gr(conc, gr)
    expected_gr50 = 0.5 * ((1 + 0.4) / (0.5 + 0.4) - 1) ** (1 / 1.5)
    assert fit["gr50_um"] == pytest.approx(expected_gr50, rel=0.02)
    assert fit["gr_inf"] == pytest.approx(-0.4, abs=0.02) and fit["gr_max"] == pytest.approx(gr[-1])
    assert 0.5 < fit["gr_aoc"] < 1.4
    inactive = fit_gr(conc, np.full(conc.size, 0.98))
    assert inactive["gr50_um"] == math.inf and inactive["gr_aoc"] == pytest.approx(0.02, abs=1e-9)


def test_growth_metrics_per_compound_from_the_last_time_point() -> None:
    curves = curves_of(SHAPES)
    doses = []
    for conc, rate in ((0.1, 24.0), (1.0, 48.0), (10.0, 1e9)):
        doses.append(
            curves.filter(pl.col("compound") == "half").with_columns(
                compound=pl.lit("drug"),
                concentration_um=pl.lit(conc),
                well=pl.col("well") + str(conc),
                cell_count=8 * 2 ** (pl.col("time_h") / rate),
            )
        )
    metrics = gr_metrics(gr_over_time(pl.concat([curves, *doses])))
    drug = metrics.filter(pl.col("compound") == "drug").row(0, named=True)
    assert drug["n_doses"] == 3 and drug["gr_max"] == pytest.approx(0.0, abs=1e-6)
    assert 0.1 < drug["gr50_um"] < 10.0


def test_growth_curves_average_the_fields_of_a_well() -> None:
    raw = pl.DataFrame(
        {
            "sha256": ["a", "b", "c"],
            "time_h": [0.0, 0.0, 4.0],
            "plate_id": "P",
            "well": "A01",
            "cell_line": "L",
            "compound": "DMSO",
            "concentration_um": 0.0,
            "is_control": True,
        }
    )
    emb = pl.DataFrame({"sha256": ["a", "b", "c"], "vector": [[0.2, 9.0], [0.4, 9.0], [0.5, 9.0]]})
    curves = growth_curves(emb, raw)
    assert curves["confluence"].to_list() == pytest.approx([0.3, 0.5]) and curves["n_fields"].to_list() == [2, 1]
    assert curves["cell_count"].to_list() == pytest.approx([9.0, 9.0])


def test_gr_is_computed_from_the_chosen_readout() -> None:
    curves = curves_of(SHAPES).with_columns(cell_count=pl.col("confluence").max() * 100)  # counts never change
    by_count = gr_over_time(curves)
    by_confluence = gr_over_time(curves, value="confluence")
    assert by_count["gr"].drop_nulls().len() == 0  # the controls' counts do not grow: GR undefined
    assert final_gr(by_confluence, "half") == pytest.approx(2**0.5 - 1, abs=1e-6)
    with pytest.raises(ValueError, match="GR source 'area'"):
        gr_over_time(curves, value="area")
