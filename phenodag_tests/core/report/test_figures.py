"""The report's figures draw from the stage tables' rows (and draw nothing from none)."""

import io

import numpy as np
import polars as pl
from PIL import Image

from phenodag.core.report import figures


def _size(png: bytes | None) -> tuple[int, int]:
    assert png is not None
    return Image.open(io.BytesIO(png)).size


def curves() -> pl.DataFrame:
    rows = []
    for t in (0.0, 12.0, 24.0, 48.0):
        rows.append(
            {"compound": "DMSO", "concentration_um": 0.0, "is_control": True, "time_h": t, "cell_count": 10 + t}
        )
        for dose in (1.0, 10.0):
            rows.append(
                {"compound": "A", "concentration_um": dose, "is_control": False, "time_h": t, "cell_count": 10.0}
            )
    return pl.DataFrame(rows)


def test_growth_and_gr_figures() -> None:
    assert _size(figures.growth_curves(curves()))[0] > 100
    gr = curves().filter(~pl.col("is_control")).with_columns(gr=pl.lit(0.1), gr_window=pl.lit(0.0))
    assert _size(figures.gr_per_dose(gr))[0] > 100
    assert figures.growth_curves(curves().filter(pl.col("is_control"))) is None


def test_response_grid_and_confusion() -> None:
    calls = pl.DataFrame(
        {
            "compound": ["A", "A", "B"],
            "concentration_um": [1.0, 10.0, 1.0],
            "combined_type": ["no_effect", "cytotoxic", "morphological"],
            "active": [False, True, True],
        }
    )
    assert _size(figures.response_grid(calls))[0] > 100
    predictions = pl.DataFrame({"true_class": ["A", "B"], "predicted_classes": [["A", "B"], ["A", "B"]]})
    assert _size(figures.confusion(predictions))[0] > 100
    assert figures.confusion(predictions.clear()) is None


def test_lens_examples_overlay_each_map() -> None:
    png = figures.lens_examples([np.zeros((32, 32))] * 2, [np.ones((8, 8))] * 2, ["A", "B"])
    width, height = _size(png)
    assert width > height / 2
    assert figures.lens_examples([], [], []) is None
