"""A small synthetic time-lapse plate written as a real Incucyte export, for fast tests.

It is not the screen simulator: cells are plain dark ellipses with a bright rim on a
noisy, unevenly lit background, and treated wells simply hold fewer cells over time.
It exists so that the tests exercise the real ingestion path on a plate
whose content is known.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from phenodag.core.simulate.plate_writer import incucyte_name, mark_complete, write_image, write_platemap

TREATMENT = datetime(2024, 1, 1, 12, 0)


def toy_image(rng: np.random.Generator, n_cells: int, size: int = 128) -> np.ndarray:
    """Return one uint8 phase-contrast-like frame with ``n_cells`` cells."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    img = 150 + 20 * (xx / size) + rng.normal(0, 6, (size, size))
    for _ in range(n_cells):
        cy, cx = rng.uniform(0, size, 2)
        a, b = rng.uniform(3, 7), rng.uniform(2, 5)
        theta = rng.uniform(0, np.pi)
        u = ((xx - cx) * np.cos(theta) + (yy - cy) * np.sin(theta)) / a
        v = (-(xx - cx) * np.sin(theta) + (yy - cy) * np.cos(theta)) / b
        r = np.sqrt(u**2 + v**2)
        img -= 50 * (r < 1)
        img += 60 * ((r >= 1) & (r < 1.3))
    return np.clip(img, 0, 255).astype(np.uint8)


def write_toy_plate(
    inbox: Path,
    plate_id: str,
    seed: int = 0,
    times_h: tuple[float, ...] = (-2.0, 0.0, 12.0, 24.0),
    wells: tuple[str, ...] = ("B02", "B03", "C02", "C03"),
    sites: int = 2,
    size: int = 128,
    cell_line: str = "HCT 15",
    complete: bool = True,
) -> Path:
    """Write a plate folder: Incucyte-named TIFFs, ``platemap.csv`` and the marker.

    Half of the wells are DMSO controls whose cell count grows; the others get
    ``toxin`` at 10 µM and lose cells after treatment.

    Returns
    -------
    pathlib.Path
        The plate folder ``inbox / plate_id``.
    """
    rng = np.random.default_rng(seed)
    folder = inbox / plate_id
    treated = {w: i % 2 == 1 for i, w in enumerate(wells)}
    for well in wells:
        for site in range(1, sites + 1):
            for t in times_h:
                growth = 1 + 0.02 * max(t, 0)
                n = int(20 * (growth if not treated[well] else max(0.2, 1 - 0.03 * max(t, 0))))
                name = incucyte_name(cell_line, plate_id, well, site, TREATMENT + timedelta(hours=t))
                write_image(folder / name, toy_image(rng, n, size))
    platemap = pl.DataFrame(
        {
            "well": list(wells),
            "cell_line": [cell_line] * len(wells),
            "compound": ["toxin" if treated[w] else "DMSO" for w in wells],
            "concentration_um": [10.0 if treated[w] else 0.0 for w in wells],
            "replicate": [1 + i // 2 for i in range(len(wells))],
            "treatment_time": [TREATMENT.isoformat()] * len(wells),
        }
    )
    write_platemap(folder, platemap)
    if complete:
        mark_complete(folder)
    return folder
