import os
from pathlib import Path

import numpy as np
import tifffile

from phenodag.core.ingest.reading import file_problem, hash_and_decode, off_plate


def test_file_problem_tells_links_and_special_files(tmp_path: Path) -> None:
    folder = tmp_path / "plate"
    folder.mkdir()
    (folder / "a.tif").write_bytes(b"x")
    (tmp_path / "out.tif").write_bytes(b"x")
    os.symlink(folder / "a.tif", folder / "inside.tif")
    os.symlink(tmp_path / "out.tif", folder / "outside.tif")
    os.symlink(folder / "gone.tif", folder / "dangling.tif")
    os.mkfifo(folder / "pipe.tif")
    assert file_problem(folder / "a.tif", folder) is None
    assert file_problem(folder / "inside.tif", folder) is None
    assert file_problem(folder / "outside.tif", folder)[0] == "link"  # type: ignore[index]
    assert file_problem(folder / "outside.tif", folder, allow_outside_links=True) is None
    assert file_problem(folder / "dangling.tif", folder)[0] == "link"  # type: ignore[index]
    assert file_problem(folder / "pipe.tif", folder) == ("special", "pipe.tif is a FIFO; only regular files are read")


def test_headers_first_and_only_fitting_files_decoded(tmp_path: Path) -> None:
    paths = []
    for i, shape in enumerate([(8, 8), (8, 8), (8, 8), (16, 16)]):
        paths.append(tmp_path / f"{i}.tif")
        tifffile.imwrite(paths[-1], np.zeros(shape, np.uint8))
    (tmp_path / "2.tif").write_bytes((tmp_path / "2.tif").read_bytes()[:-20])  # pixel data cut short
    reads, size, depth = hash_and_decode(paths, {}, workers=2)
    assert (size, depth) == ((8, 8), 8)
    assert [r.error is None for r in reads] == [True, True, False, True]  # the 16x16 one is not decoded
    assert reads[3].info is not None and off_plate(reads[3].info, size, depth) == (
        "size",
        "image is 16x16, the plate's images are 8x8",
    )
