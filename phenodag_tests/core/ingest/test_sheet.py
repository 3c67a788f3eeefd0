import io
from pathlib import Path

import numpy as np
from PIL import Image

from phenodag.core.ingest.plate import ingest_plate
from phenodag.core.ingest.sheet import plate_sheet, plate_sheet_rows
from phenodag_tests.toy_plate import write_toy_plate


def test_contact_sheet_shows_a_control_and_the_treated_wells_over_time(tmp_path: Path) -> None:
    folder = write_toy_plate(tmp_path, "P1", sites=2, times_h=(-2.0, 0.0, 6.0, 12.0, 18.0, 24.0, 30.0))
    images = ingest_plate(folder, "P1").images
    assert images is not None
    rows = plate_sheet_rows(images, n_wells=3, n_times=4)
    assert [r.label.split("|")[1] for r in rows] == ["DMSO", "toxin 10 uM"]  # one control, one per compound
    assert [c for _, c in rows[0].tiles] == ["-2 h", "6 h", "18 h", "30 h"]  # first to last, spread
    png = plate_sheet(images, n_wells=3, n_times=4, size=48)
    assert png is not None
    assert np.asarray(Image.open(io.BytesIO(png))).std() > 10
    assert plate_sheet(images.clear()) is None
