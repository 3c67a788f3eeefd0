import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from phenodag.core.shared.thumbnails import CAPTION_H, SheetRow, sheet_png, spread, stretch8


def test_sheet_lays_rows_and_columns_and_marks_unreadable_files(tmp_path: Path) -> None:
    bad = tmp_path / "broken.tif"
    bad.write_bytes(b"not a tiff")
    rng = np.random.default_rng(0)
    rows = [
        SheetRow("B02|DMSO", [(rng.random((40, 50)), "0 h"), (rng.random((40, 50)), "24 h"), (bad, "48 h")]),
        SheetRow("C03|toxin 10 uM", [(rng.random((40, 50)), "0 h")]),
    ]
    png = Image.open(io.BytesIO(sheet_png(rows, size=32, label_w=100, gap=4)))
    assert png.size == (100 + 3 * (32 + 4), 2 * (32 + CAPTION_H + 4))
    pixels = np.asarray(png)
    unreadable = pixels[CAPTION_H + 4 : CAPTION_H + 28, 100 + 2 * 36 + 4 : 100 + 2 * 36 + 28]
    assert (unreadable == 96).all()  # the broken file is a flat grey tile, the sheet still renders
    assert pixels[CAPTION_H:, 100:132].std() > 20  # a decoded image has texture


def test_sheet_needs_rows() -> None:
    with pytest.raises(ValueError, match="at least one row"):
        sheet_png([])


def test_stretch_and_spread() -> None:
    img = np.linspace(1000, 2000, 10000).reshape(100, 100)
    out = stretch8(img)
    assert out.dtype == np.uint8 and out.min() == 0 and out.max() == 255
    assert spread([0, 2, 4, 6, 8, 10, 12], 3) == [0, 6, 12]
    assert spread([5, 1, 1], 4) == [1, 5]
