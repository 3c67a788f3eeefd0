"""Simulator of label-free phase-contrast drug screens with planted, known responses."""

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
from phenodag.core.simulate.screen import TRUTH_FILE, plan_screen, simulate_field, simulate_screen

__all__ = [
    "CELL_LINES",
    "TRUTH_FILE",
    "CellLine",
    "Compound",
    "ResponseSpec",
    "ScreenDesign",
    "Signature",
    "endpoint_design",
    "plan_screen",
    "simulate_field",
    "simulate_screen",
    "timelapse_design",
]
