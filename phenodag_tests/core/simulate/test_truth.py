"""Truth files of a simulated plate: conditions and per-image masks."""

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from phenodag.core.simulate.truth import mask_path, mask_rows, read_mask, write_mask


def test_mask_round_trip_and_rows(tmp_path: Path) -> None:
    image = tmp_path / "plate" / "A_B02_1.tif"
    mask = np.zeros((8, 8), np.uint8)
    mask[:2] = 1
    mask[:1] = 2
    write_mask(mask_path(image), mask)
    assert mask_path(image).parent.name == "sim_masks" and mask_path(image).suffix == ".npz"
    assert np.array_equal(read_mask(mask_path(image)), mask)
    images = pl.DataFrame(
        {
            "plate_id": ["P"] * 2,
            "well": ["B02"] * 2,
            "site": [1, 1],
            "time_h": [0.0, 2.0],
            "path": [str(image), "x.tif"],
        },
        schema_overrides={"site": pl.Int32},
    )
    rows = mask_rows(images)
    assert rows.height == 1  # the real image without a mask has no row
    assert rows["cell_fraction"][0] == 16 / 64 and rows["signature_fraction"][0] == 8 / 64


def test_unreadable_mask_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a mask")
    with pytest.raises(ValueError, match=r"bad\.npz"):
        read_mask(bad)
