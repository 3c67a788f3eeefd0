"""Builders of small plate folders for tests."""

from pathlib import Path

import numpy as np
import polars as pl

from phenodag.core.simulate.plate_writer import mark_complete, write_image, write_platemap


def noise(seed: int, shape: tuple[int, int] = (32, 32), dtype: type = np.uint8) -> np.ndarray:
    """A random image; different seeds give different content (and sha256)."""
    hi = np.iinfo(dtype).max
    return np.random.default_rng(seed).integers(0, hi, shape, dtype=dtype)


def platemap(wells: list[str], compound: str = "DMSO", **extra: list[object]) -> pl.DataFrame:
    """A plate map with one row per well."""
    n = len(wells)
    return pl.DataFrame(
        {
            "well": wells,
            "cell_line": ["HCC 2279"] * n,
            "compound": [compound] * n,
            "concentration_um": [0.0] * n,
            "replicate": list(range(1, n + 1)),
            **extra,
        }
    )


def plate_folder(root: Path, name: str, images: dict[str, np.ndarray], pm: pl.DataFrame, complete: bool = True) -> Path:
    """Write ``images`` (file name → array) and the plate map into ``root / name``."""
    folder = root / name
    for fname, arr in images.items():
        write_image(folder / fname, arr)
    write_platemap(folder, pm)
    if complete:
        mark_complete(folder)
    return folder


def free_port() -> int:
    """A TCP port free on the loopback interface now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
