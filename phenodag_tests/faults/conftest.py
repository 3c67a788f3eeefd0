"""The fault catalogue's tools: a throw-away home, hostile files made in the test, table readability.

Every hostile file (header-only TIFF bombs, FIFOs, links) is generated inside the
test's ``tmp_path`` and goes with it.
"""

from __future__ import annotations

import struct
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from phenodag.cli import main
from phenodag.core.shared import lake
from phenodag.core.shared.tables import TABLES
from phenodag.core.simulate.plate_writer import incucyte_name
from phenodag.defs.shared.settings import DagsterSettings
from phenodag_tests.toy_plate import TREATMENT, write_toy_plate

N_IMAGES = 16
"""Images of one toy plate as these tests write it (4 wells x 1 site x 4 times)."""


@pytest.fixture
def home(tmp_path: Path) -> DagsterSettings:
    """A fresh phenodag home."""
    return DagsterSettings.from_env(tmp_path / "home").ensure()


def toy(settings: DagsterSettings, plate_id: str = "P1", **kwargs: object) -> Path:
    """Write the toy plate (16 images) into the home's inbox; return its folder."""
    return write_toy_plate(settings.inbox, plate_id, sites=1, **kwargs)  # type: ignore[arg-type]


def image_name(plate_id: str = "P1", well: str = "B02", hours: float = 0.0, ext: str = "tif") -> str:
    """An Incucyte file name of the toy plate's layout."""
    return incucyte_name("HCT 15", plate_id, well, 1, TREATMENT + timedelta(hours=hours), ext)


def ingest(settings: DagsterSettings, folder: Path, *extra: str) -> int:
    """Run ``phenodag ingest`` in this process; return its exit status."""
    return main(["ingest", str(folder), "--home", str(settings.home), *extra])


INGEST_TABLES = ("raw_images", "quarantine", "plates")


def readable_counts(settings: DagsterSettings) -> dict[str, int]:
    """Read every existing table whole (raises if any is unreadable); return the ingestion tables' row counts."""
    present = [name for name in TABLES if lake.table_exists(settings.lake, name)]
    counts = {name: lake.read_table(settings.lake, name).height for name in present}
    return {name: counts[name] for name in INGEST_TABLES if name in counts}


def quarantine(settings: DagsterSettings) -> pl.DataFrame:
    """The whole quarantine table (empty when absent)."""
    if not lake.table_exists(settings.lake, "quarantine"):
        return pl.DataFrame(schema={"plate_id": pl.String, "path": pl.String, "kind": pl.String, "reason": pl.String})
    return lake.read_table(settings.lake, "quarantine")


def header_only_tiff(path: Path, width: int, height: int, bits: int = 8) -> Path:
    """Write a little-endian TIFF whose header declares ``width`` x ``height`` but holds no pixel data."""
    entries = [
        (256, 4, 1, width),  # ImageWidth, LONG
        (257, 4, 1, height),  # ImageLength
        (258, 3, 1, bits),  # BitsPerSample, SHORT
        (259, 3, 1, 1),  # Compression: none
        (262, 3, 1, 1),  # Photometric: min-is-black
        (273, 4, 1, 8),  # StripOffsets
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 4, 1, height),  # RowsPerStrip
        (279, 4, 1, width * height * bits // 8 & 0xFFFFFFFF),  # StripByteCounts
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        packed = struct.pack("<HI", value, 0)[:4] if typ == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, typ, count) + packed
    ifd += struct.pack("<I", 0)
    path.write_bytes(b"II*\x00" + struct.pack("<I", 8) + ifd)
    return path
