"""Faults 2-4 and the file faults that already held: bombs, special files, links, damaged images.

Each case ingests the toy plate with one hostile file added through ``phenodag ingest``
and asserts the exit status, the quarantine row and that every table still reads with
the right counts.
"""

import os
import threading
from pathlib import Path

import numpy as np
import pytest
import tifffile

import phenodag.core.ingest.reading as reading_mod
from phenodag.core.ingest.plate import ingest_plate
from phenodag.defs.shared.settings import DagsterSettings
from phenodag_tests.faults.conftest import (
    N_IMAGES,
    header_only_tiff,
    image_name,
    ingest,
    quarantine,
    readable_counts,
    toy,
)

EXTRA = image_name(well="B02", hours=48.0)
"""A well-formed name at a time the toy plate does not have: the hostile file's slot."""


def _one_quarantined(home: DagsterSettings, kind: str, images: int = N_IMAGES) -> str:
    q = quarantine(home)
    assert q["kind"].to_list() == [kind], q
    assert readable_counts(home) == {"raw_images": images, "quarantine": 1, "plates": 1}
    return str(q["reason"][0])


def test_header_only_bomb_is_refused_before_decoding(home: DagsterSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = toy(home)
    bomb = header_only_tiff(folder / EXTRA, 100_000, 100_000)
    assert bomb.stat().st_size < 1024
    decoded: list[str] = []
    real = reading_mod.decode_image
    monkeypatch.setattr(reading_mod, "decode_image", lambda p, *a: decoded.append(Path(p).name) or real(p, *a))
    assert ingest(home, folder) == 0  # a quarantined file warns; the plate lands
    assert EXTRA not in decoded
    reason = _one_quarantined(home, "decode")
    assert "100000x100000" in reason and "budget" in reason


def test_compressed_bomb_under_budget_off_size_is_not_decoded(
    home: DagsterSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = toy(home)
    tifffile.imwrite(folder / EXTRA, np.zeros((3000, 3000), np.uint8), compression="zlib")  # 9 Mpx in a few KB
    decoded: list[str] = []
    real = reading_mod.decode_image
    monkeypatch.setattr(reading_mod, "decode_image", lambda p, *a: decoded.append(Path(p).name) or real(p, *a))
    assert ingest(home, folder) == 0
    assert EXTRA not in decoded
    assert "3000x3000" in _one_quarantined(home, "size")


def test_pixel_budget_is_configurable(home: DagsterSettings) -> None:
    folder = toy(home)
    result = ingest_plate(folder, max_pixels=100)  # the toy plate's 128x128 images exceed it
    assert result.images is not None and result.images.height == 0
    assert set(result.quarantine["kind"]) == {"decode"} and result.quarantine.height == N_IMAGES


def test_fifo_named_like_an_image_is_quarantined_without_blocking(home: DagsterSettings) -> None:
    folder = toy(home)
    os.mkfifo(folder / EXTRA)
    done: list[int] = []
    worker = threading.Thread(target=lambda: done.append(ingest(home, folder)), daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert done == [0], "ingestion blocked on a FIFO"
    assert "FIFO" in _one_quarantined(home, "special")


def test_link_to_a_device_is_refused(home: DagsterSettings) -> None:
    folder = toy(home)
    os.symlink("/dev/zero", folder / EXTRA)
    assert ingest(home, folder) == 0
    assert "outside the plate folder" in _one_quarantined(home, "link")
    (folder / "plate.yaml").write_text("allow_outside_links: true\n")  # even when links may leave the folder
    assert ingest(home, folder) == 0
    assert "character device" in _one_quarantined(home, "special")


def test_link_outside_the_folder_is_refused_unless_allowed(home: DagsterSettings, tmp_path: Path) -> None:
    folder = toy(home)
    outside = tmp_path / "elsewhere.tif"
    (folder / image_name(well="B02", hours=0.0)).rename(outside)
    os.symlink(outside, folder / image_name(well="B02", hours=0.0))
    assert ingest(home, folder) == 0
    _one_quarantined(home, "link", images=N_IMAGES - 1)
    (folder / "plate.yaml").write_text("allow_outside_links: true\n")
    assert ingest(home, folder) == 0
    assert readable_counts(home) == {"raw_images": N_IMAGES, "quarantine": 0, "plates": 1}


def test_file_contents_are_never_echoed(home: DagsterSettings, tmp_path: Path) -> None:
    folder = toy(home)
    secret = tmp_path / "passwd"
    secret.write_bytes(b"root:x:0:0:SECRET-CONTENT:/root:/bin/bash\n")
    os.symlink(secret, folder / EXTRA)
    (folder / "plate.yaml").write_text("allow_outside_links: true\n")
    assert ingest(home, folder) == 0
    reason = _one_quarantined(home, "decode")
    assert "SECRET" not in reason and "root:x" not in reason


def test_dangling_link_quarantines_that_file_only(home: DagsterSettings) -> None:
    folder = toy(home)
    os.symlink(folder / "gone.tif", folder / EXTRA)
    assert ingest(home, folder) == 0
    assert "dangling" in _one_quarantined(home, "link")


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "zero-byte"),
        (b"II*\x00" + b"\x00" * 20, "truncated header"),
        (b"\xff\xd8\xff\xe0 a JPEG named .tif", "mislabelled"),
    ],
)
def test_damaged_images_are_quarantined(home: DagsterSettings, content: bytes, why: str) -> None:
    folder = toy(home)
    (folder / EXTRA).write_bytes(content)
    assert ingest(home, folder) == 0, why
    _one_quarantined(home, "decode")


def test_truncated_pixel_data_is_quarantined(home: DagsterSettings) -> None:
    folder = toy(home)
    good = (folder / image_name(well="B02", hours=0.0)).read_bytes()
    (folder / EXTRA).write_bytes(good[: len(good) // 2])
    assert ingest(home, folder) == 0
    _one_quarantined(home, "decode")


def test_sixteen_bit_image_among_eight_bit_is_quarantined(home: DagsterSettings) -> None:
    folder = toy(home)
    tifffile.imwrite(folder / EXTRA, np.zeros((128, 128), np.uint16))
    assert ingest(home, folder) == 0
    assert "16-bit" in _one_quarantined(home, "bit_depth")
