"""Writing a simulated screen as real plate folders, with its ground truth.

Each plate folder is what an instrument would export (Incucyte or CV8000 file
names, ``platemap.csv``, ``timepoints.csv`` for CV8000) plus ``sim_truth.csv``:
the planted response of every condition on the plate. Every field is simulated from
its own random stream, seeded by (seed, plate, well, site), so the output does not
depend on the order or the number of worker processes.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from tqdm import tqdm

from phenodag.core.ingest.layouts import normalize_well
from phenodag.core.shared.schemas import SIM_TRUTH_SCHEMA
from phenodag.core.simulate.design import CONTROL, NO_EFFECT, CellLine, Compound, ScreenDesign, plate_shape
from phenodag.core.simulate.plate_writer import cv8000_name, incucyte_name, mark_complete, write_image, write_platemap
from phenodag.core.simulate.population import seed_population, step
from phenodag.core.simulate.render import Look, field_background, quantise, render
from phenodag.core.simulate.responses import modifiers
from phenodag.core.simulate.truth import mask_path, write_mask

logger = logging.getLogger(__name__)

TRUTH_FILE = "sim_truth.csv"
TREATMENT_TIME = datetime(2024, 1, 1, 12, 0)
BURN_IN_H = 24.0
STEP_H = 1.0


@dataclass(frozen=True)
class WellPlan:
    """One well of a simulated plate: its treatment (compound None = DMSO control)."""

    plate_index: int
    well_index: int
    well: str
    compound: Compound | None
    concentration_um: float


@dataclass(frozen=True)
class PlatePlan:
    """One simulated plate: id, cell line, replicate and its wells."""

    index: int
    plate_id: str
    cell_line: CellLine
    replicate: int
    wells: tuple[WellPlan, ...]


def _positions(plate_format: int, n: int, rng: np.random.Generator) -> list[str]:
    rows, cols = plate_shape(plate_format)
    inner = [(r, c) for r in range(1, rows - 1) for c in range(2, cols)]
    pool = inner if len(inner) >= n else [(r, c) for r in range(rows) for c in range(1, cols + 1)]
    chosen = rng.permutation(len(pool))[:n]
    return [normalize_well(f"{chr(65 + pool[i][0])}{pool[i][1]}")[0] for i in sorted(chosen)]


def plan_screen(design: ScreenDesign, seed: int) -> list[PlatePlan]:
    """Lay the screen out: one plate per cell line and replicate, well order shuffled per plate."""
    plans = []
    conditions: list[tuple[Compound | None, float]] = [
        (c, conc)
        for c in design.compounds
        for conc in design.concentrations_um
        for _ in range(design.wells_per_condition)
    ] + [(None, 0.0)] * design.control_wells
    index = 0
    for line in design.cell_lines:
        for rep in range(1, design.replicates + 1):
            rng = np.random.default_rng([seed, index, 7])
            wells = _positions(design.plate_format, len(conditions), rng)
            order = rng.permutation(len(conditions))
            plan_wells = tuple(
                WellPlan(index, i, wells[i], conditions[j][0], conditions[j][1]) for i, j in enumerate(order)
            )
            plans.append(PlatePlan(index, f"{design.name}_{line.code}_R{rep}", line, rep, plan_wells))
            index += 1
    return plans


def simulate_field(
    design: ScreenDesign,
    line: CellLine,
    well: WellPlan,
    site: int,
    seed: int,
    masks: list[np.ndarray] | None = None,
) -> list[np.ndarray]:
    """Simulate one field over the design's time points and return its frames (in time order).

    With ``masks`` (a list), each frame's truth mask (see :func:`.render.render`) is
    appended to it, in the same order; the frames do not depend on whether it is given.
    """
    rng = np.random.default_rng([seed, well.plate_index, well.well_index, site])
    size = design.image_size
    illum, texture = field_background(rng, size)
    pop = seed_population(rng, line, size)
    spec = well.compound.response_at(well.concentration_um) if well.compound else NO_EFFECT
    t = min(design.times_h) - BURN_IN_H
    frames = []
    for target in sorted(design.times_h):
        while t < target - 1e-9:
            dt = min(STEP_H, target - t)
            mods = modifiers(spec, t)
            step(pop, rng, line, mods, size, dt)
            t += dt
        mods = modifiers(spec, t)
        sig = well.compound.signature if well.compound else None
        look = Look(
            enlarge=mods.enlarge,
            flatten=mods.flatten,
            signature_kind=sig.kind if sig else None,
            signature_weight=well.compound.signature_weight(well.concentration_um, t) if well.compound else 0.0,
            signature_angle=sig.angle if sig else 0.0,
        )
        mask = np.zeros((size, size), np.uint8) if masks is not None else None
        frames.append(quantise(render(pop, line, look, illum, texture, rng, mask), design.bit_depth))
        if masks is not None and mask is not None:
            masks.append(mask)
    return frames


def _file_name(design: ScreenDesign, plan: PlatePlan, well: str, site: int, ti: int, t: float) -> str:
    if design.layout == "cv8000":
        return cv8000_name(plan.plate_id, well, ti + 1, site)
    when = TREATMENT_TIME + timedelta(hours=t)
    return incucyte_name(plan.cell_line.name, plan.plate_id, well, site, when, design.ext)


def _write_well(args: tuple[ScreenDesign, PlatePlan, WellPlan, Path, int]) -> int:
    design, plan, well, folder, seed = args
    times = sorted(design.times_h)
    n = 0
    for site in range(1, design.sites + 1):
        masks: list[np.ndarray] = []
        for ti, frame in enumerate(simulate_field(design, plan.cell_line, well, site, seed, masks)):
            name = _file_name(design, plan, well.well, site, ti, times[ti])
            write_image(folder / name, frame)
            write_mask(mask_path(folder / name), masks[ti])
            n += 1
    return n


def platemap_of(plan: PlatePlan) -> pl.DataFrame:
    """Return the plate map of a simulated plate (one row per well, treatment time as a column)."""
    return pl.DataFrame(
        {
            "well": [w.well for w in plan.wells],
            "cell_line": [plan.cell_line.name] * len(plan.wells),
            "compound": [w.compound.name if w.compound else CONTROL for w in plan.wells],
            "concentration_um": [w.concentration_um for w in plan.wells],
            "replicate": [plan.replicate] * len(plan.wells),
            "treatment_time": [TREATMENT_TIME.isoformat()] * len(plan.wells),
        }
    )


def truth_of(plan: PlatePlan) -> pl.DataFrame:
    """Return the planted truth of every condition on a plate (controls included, as no_effect)."""
    rows = {}
    for w in plan.wells:
        c = w.compound
        spec = c.response_at(w.concentration_um) if c else None
        sig = c.signature if c else None
        rows[(c.name if c else CONTROL, w.concentration_um)] = {
            "plate_id": plan.plate_id,
            "cell_line": plan.cell_line.name,
            "compound": c.name if c else CONTROL,
            "concentration_um": w.concentration_um,
            "is_control": c is None,
            "profile": c.profile if c else "control",
            "response_type": spec.type if spec else "no_effect",
            "onset_h": spec.onset_h if spec and spec.type != "no_effect" else None,
            "strength": spec.strength if spec else 0.0,
            "signature_id": sig.id if sig else None,
            "signature_kind": sig.kind if sig else None,
            "signature_min_conc_um": sig.min_conc_um if sig else None,
            "signature_from_h": sig.window_h[0] if sig else None,
        }
    return pl.DataFrame(list(rows.values()), schema=SIM_TRUTH_SCHEMA).sort("compound", "concentration_um")


def simulate_screen(
    design: ScreenDesign, root: Path, seed: int = 0, workers: int = 1, complete: bool = True
) -> list[Path]:
    """Write every plate of ``design`` as a plate folder below ``root``.

    Parameters
    ----------
    design
        The screen.
    root
        Where the plate folders go (e.g. the inbox).
    seed
        Same seed, same bytes.
    workers
        Processes rendering wells in parallel (spawned, so no fork after torch threads).
    complete
        Write each plate's completion marker last.

    Returns
    -------
    list of pathlib.Path
        The plate folders.
    """
    folders = []
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) if workers > 1 else _Serial() as pool:
        for plan in tqdm(plan_screen(design, seed), desc="simulating plates", unit="plate", disable=None):
            folder = root / plan.plate_id
            folder.mkdir(parents=True, exist_ok=True)
            n = sum(pool.map(_write_well, [(design, plan, w, folder, seed) for w in plan.wells]))
            write_platemap(folder, platemap_of(plan))
            truth_of(plan).write_csv(folder / TRUTH_FILE)
            if design.layout == "cv8000":
                times = sorted(design.times_h)
                pl.DataFrame({"timepoint": range(1, len(times) + 1), "time_h": times}).write_csv(
                    folder / "timepoints.csv"
                )
            if complete:
                mark_complete(folder)
            logger.info("simulated plate %s: %d images", plan.plate_id, n)
            folders.append(folder)
    return folders


class _Serial:
    """A stand-in for a process pool that maps in this process."""

    def __enter__(self) -> _Serial:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, fn: Any, items: list[Any]) -> Any:
        return map(fn, items)
