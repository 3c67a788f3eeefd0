"""A contact sheet of simulated fields: control and each response type over time, beside a real frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from phenodag.core.shared.images import decode_image
from phenodag.core.shared.thumbnails import CAPTION_H, stretch8, tile
from phenodag.core.simulate.design import Compound, ScreenDesign, timelapse_design
from phenodag.core.simulate.screen import WellPlan, simulate_field


def contact_sheet(
    out: Path,
    design: ScreenDesign | None = None,
    seed: int = 0,
    columns: int = 6,
    real_image: Path | None = None,
    size: int = 192,
) -> Path:
    """Write a PNG: one row per response type (control first), ``columns`` time points each.

    Each row shows the top concentration of the first compound with that response (at
    10 µM by default); the last column holds ``real_image`` (a real phase-contrast
    frame, centre-cropped to the simulated field size) when given, for comparison.

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    design = design or timelapse_design(n_compounds=5, days=4, every_h=4, seed=seed)
    top = max(design.concentrations_um)
    rows: list[tuple[str, int, Compound | None]] = [("control (DMSO)", 0, None)]
    seen = set()
    for i, c in enumerate(design.compounds):
        kind = c.response_at(top).type
        if kind not in seen:
            seen.add(kind)
            rows.append((f"{c.name} {kind} @ {top:g} uM", i + 1, c))
    times = sorted(design.times_h)
    picks = np.linspace(0, len(times) - 1, min(columns, len(times))).round().astype(int)
    real = None
    if real_image is not None:
        arr = decode_image(real_image)
        s = min(arr.shape[0], arr.shape[1], design.image_size * 2)
        y0, x0 = (arr.shape[0] - s) // 2, (arr.shape[1] - s) // 2
        real = stretch8(arr[y0 : y0 + s, x0 : x0 + s])
    ncol = len(picks) + (real is not None)
    sheet = Image.new("L", (ncol * size, len(rows) * (size + CAPTION_H)), 0)
    for r, (label, index, compound) in enumerate(rows):
        well = WellPlan(0, index, "B02", compound, top if compound else 0.0)
        frames = simulate_field(design, design.cell_lines[0], well, 1, seed)
        for col, ti in enumerate(picks):
            text = f"{label} {times[ti]:+.0f}h" if col == 0 else f"{times[ti]:+.0f}h"
            shown = tile(frames[ti], size, text, stretch=False)  # true grey levels
            sheet.paste(shown, (col * size, r * (size + CAPTION_H)))
        if real is not None:
            name = real_image.name if real_image else ""
            sheet.paste(tile(real, size, f"real: {name}"), (len(picks) * size, r * (size + CAPTION_H)))
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out
