"""The simulate stage's driver: a screen with planted answers, and the truth the ``simulate`` assets read back.

:func:`simulate_screen` writes plate folders (and their truth) as an instrument would
(:mod:`.screen`); :func:`read_truth`, :func:`mask_rows` and :func:`uncovered_conditions` read
that truth back for the ``sim_truth`` and ``sim_masks`` assets (:mod:`.truth`). The designs
(:mod:`.design`) say what a screen plants.
"""

from __future__ import annotations

from phenodag.core.simulate.design import (
    CELL_LINES,
    CellLine,
    Compound,
    ResponseSpec,
    ScreenDesign,
    Signature,
    endpoint_design,
    timelapse_design,
)
from phenodag.core.simulate.screen import SIM_TRUTH_SCHEMA, TRUTH_FILE, plan_screen, simulate_field, simulate_screen
from phenodag.core.simulate.truth import mask_rows, read_truth, uncovered_conditions

__all__ = [
    "CELL_LINES",
    "SIM_TRUTH_SCHEMA",
    "TRUTH_FILE",
    "CellLine",
    "Compound",
    "ResponseSpec",
    "ScreenDesign",
    "Signature",
    "endpoint_design",
    "mask_rows",
    "plan_screen",
    "read_truth",
    "simulate_field",
    "simulate_screen",
    "timelapse_design",
    "uncovered_conditions",
]
