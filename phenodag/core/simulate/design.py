"""What a simulated screen contains: cell lines, compounds with planted responses, plates.

Every number that shapes an image is here, so a screen is fully described by a
:class:`ScreenDesign` plus a seed. Lengths are in pixels of a 10x phase-contrast field
(an HCT15 cell is about 20-30 px across), times in hours since treatment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from phenodag.core.shared.vocab import MORPHOLOGICAL, PROFILES, RESPONSE_TYPES

SIGNATURE_KINDS = ("elongation", "alignment", "granularity", "size", "nucleus", "halo")
MORPHOLOGY_ONLY_KINDS = ("elongation", "granularity", "nucleus", "halo")
"""Signature kinds of morphology-only compounds: visible, and leaving the share of the field covered by
cells as it is. Not ``size`` (it changes that share), nor ``alignment`` (on near-round cells such as
HCT 15's it is invisible: the first screen drawn with it planted an effect no image showed)."""
CONTROL = "DMSO"


@dataclass(frozen=True)
class CellLine:
    """Morphology and growth of one cell line."""

    name: str
    radius: float = 10.0
    elongation: float = 0.25
    irregularity: float = 0.12
    granularity: float = 0.5
    doubling_h: float = 30.0
    seeding: float = 0.2
    max_confluence: float = 0.9
    motility: float = 1.2

    @property
    def code(self) -> str:
        """The name without spaces, for plate ids."""
        return self.name.replace(" ", "")


@dataclass(frozen=True)
class ResponseSpec:
    """A planted response: type, onset (h after treatment), strength in [0, 1], arrest duration."""

    type: str = "no_effect"
    onset_h: float = 0.0
    strength: float = 0.0
    duration_h: float = 30.0

    def __post_init__(self) -> None:
        if self.type not in RESPONSE_TYPES:
            raise ValueError(f"response type {self.type!r}; expected one of {RESPONSE_TYPES}")


NO_EFFECT = ResponseSpec()


@dataclass(frozen=True)
class Signature:
    """A compound's own subtle morphology, visible only at some concentrations and times.

    ``kind`` is one of :data:`SIGNATURE_KINDS`; ``magnitude`` is signed; the signature
    shows at concentrations ≥ ``min_conc_um`` and times inside ``window_h``.
    """

    id: str
    kind: str
    magnitude: float
    min_conc_um: float
    window_h: tuple[float, float]
    angle: float = 0.0


@dataclass(frozen=True)
class Compound:
    """A compound: its response per concentration band and its signature (None: looks like control)."""

    name: str
    profile: str
    responses: tuple[tuple[float, ResponseSpec], ...] = ()
    signature: Signature | None = None

    def response_at(self, conc_um: float) -> ResponseSpec:
        """Return the response of the highest band whose threshold is ≤ ``conc_um``."""
        spec = NO_EFFECT
        for threshold, s in sorted(self.responses, key=lambda r: r[0]):
            if conc_um >= threshold:
                spec = s
        return spec

    def signature_weight(self, conc_um: float, t_h: float) -> float:
        """Return how strongly the signature shows at this configuration (0 outside it, ramped in time)."""
        sig = self.signature
        if sig is None or conc_um < sig.min_conc_um:
            return 0.0
        lo, hi = sig.window_h
        rise = min(max((t_h - lo) / 6.0, 0.0), 1.0)
        fall = min(max((hi - t_h) / 6.0, 0.0), 1.0)
        return sig.magnitude * min(rise, fall)


@dataclass(frozen=True)
class ScreenDesign:
    """A screen: which cells, compounds, doses and times; plates, wells, fields and image format.

    One plate per cell line and replicate; each plate holds every compound x
    concentration (``wells_per_condition`` wells each) plus ``control_wells`` DMSO wells,
    at positions shuffled per plate. Every well is imaged at ``times_h`` in ``sites``
    fields.
    """

    name: str
    kind: str
    cell_lines: tuple[CellLine, ...]
    compounds: tuple[Compound, ...]
    concentrations_um: tuple[float, ...]
    times_h: tuple[float, ...]
    replicates: int = 2
    control_wells: int = 4
    wells_per_condition: int = 1
    sites: int = 1
    image_size: int = 256
    bit_depth: int = 8
    layout: str = "incucyte"
    ext: str = "tif"
    plate_format: int = 96

    def __post_init__(self) -> None:
        if self.layout not in ("incucyte", "cv8000"):
            raise ValueError(f"layout {self.layout!r}; expected 'incucyte' or 'cv8000'")
        if self.bit_depth not in (8, 16):
            raise ValueError(f"bit_depth {self.bit_depth}; expected 8 or 16")
        if self.layout == "cv8000" and self.ext != "tif":
            raise ValueError("CV8000 exports are TIFF; use ext='tif'")
        rows, cols = plate_shape(self.plate_format)
        if self.wells_per_plate > rows * cols:
            raise ValueError(f"{self.wells_per_plate} wells do not fit a {self.plate_format}-well plate")

    @property
    def wells_per_plate(self) -> int:
        """Treated plus control wells on each plate."""
        return len(self.compounds) * len(self.concentrations_um) * self.wells_per_condition + self.control_wells

    @property
    def n_images(self) -> int:
        """Images the screen writes in total."""
        return len(self.cell_lines) * self.replicates * self.wells_per_plate * self.sites * len(self.times_h)

    def with_(self, **changes: Any) -> ScreenDesign:
        """Return a copy with some fields changed."""
        return replace(self, **changes)


def plate_shape(plate_format: int) -> tuple[int, int]:
    """Rows and columns of a 96-, 384- or 1536-well plate."""
    shapes = {96: (8, 12), 384: (16, 24), 1536: (32, 48)}
    if plate_format not in shapes:
        raise ValueError(f"plate format {plate_format}; expected one of {sorted(shapes)}")
    return shapes[plate_format]


CELL_LINES = {
    "HCT 15": CellLine("HCT 15", radius=10.0, elongation=0.2, irregularity=0.14, granularity=0.6, doubling_h=28.0),
    "MDA MB 231": CellLine(
        "MDA MB 231", radius=9.0, elongation=0.7, irregularity=0.1, granularity=0.35, doubling_h=34.0, motility=2.0
    ),
    "T98G": CellLine("T98G", radius=14.0, elongation=0.55, irregularity=0.18, granularity=0.8, doubling_h=40.0),
}


def make_compounds(
    n: int,
    concentrations_um: tuple[float, ...],
    times_h: tuple[float, ...],
    seed: int,
    signatures: bool = True,
    prefix: str = "CPD",
) -> tuple[Compound, ...]:
    """Return ``n`` compounds whose profiles cycle through :data:`PROFILES`.

    With concentrations sorted low → high: the lowest has no effect; from the middle
    one up the profile's response shows, stronger at the top (``switch`` is
    cytostatic in the middle and cytotoxic at the top, like the seed paper's
    Cladribine). ``inactive`` compounds have no response and no signature, so they
    are indistinguishable from control. Onsets, strengths and signatures are drawn
    from ``seed``; ``signatures=False`` plants none (the draws still happen, so the
    responses are the same either way). Names are ``<prefix>001``, ``<prefix>002``, ...; a
    second library takes another prefix (and seed), so its compounds are new.
    """
    rng = np.random.default_rng(seed)
    concs = sorted(concentrations_um)
    mid = concs[len(concs) // 2] if len(concs) > 1 else concs[0]
    top = concs[-1]
    t_lo, t_hi = min(times_h), max(times_h)
    compounds = []
    for i in range(n):
        profile = PROFILES[i % len(PROFILES)]
        onset = float(rng.uniform(0.0, max(2.0, 0.15 * max(t_hi, 1.0))))
        strength = float(rng.uniform(0.75, 1.0))
        duration = float(rng.uniform(0.3, 0.45) * max(t_hi, 24.0))
        mid_type, top_type = {
            "cytostatic": ("cytostatic", "cytostatic"),
            "cytotoxic": ("cytotoxic", "cytotoxic"),
            "mixed": ("mixed", "mixed"),
            "switch": ("cytostatic", "cytotoxic"),
        }.get(profile, ("no_effect", "no_effect"))
        responses: tuple[tuple[float, ResponseSpec], ...] = ()
        if profile != "inactive":
            responses = (
                (mid, ResponseSpec(mid_type, onset, 0.7 * strength, duration)),
                (top, ResponseSpec(top_type, onset, strength, duration)),
            )
        signature = None
        if profile != "inactive":
            start = float(rng.uniform(t_lo, t_lo + 0.5 * (t_hi - t_lo))) if t_hi > t_lo else t_lo - 6
            signature = Signature(
                id=f"sig{i:02d}",
                kind=SIGNATURE_KINDS[int(rng.integers(len(SIGNATURE_KINDS)))],
                magnitude=float(rng.choice([-1, 1]) * rng.uniform(0.5, 1.0)),
                min_conc_um=float(concs[int(rng.integers(len(concs)))]),
                window_h=(start, t_hi + 24.0),
                angle=float(rng.uniform(0, math.pi)),
            )
        compounds.append(Compound(f"{prefix}{i + 1:03d}", profile, responses, signature if signatures else None))
    return tuple(compounds)


def morphological_compounds(
    n: int,
    concentrations_um: tuple[float, ...],
    times_h: tuple[float, ...],
    seed: int,
    prefix: str = "CPD",
    first: int = 1,
) -> tuple[Compound, ...]:
    """Return ``n`` compounds that change morphology and not growth (profile :data:`MORPHOLOGICAL`).

    Each has no response (its cells divide and die as control cells do) and a
    signature of a kind in :data:`MORPHOLOGY_ONLY_KINDS` (kinds cycle, starting at a drawn
    one) that shows from the middle concentration up, from 0-12 h after treatment to the
    end, at magnitude 0.7-1.0: in either direction, except ``elongation``, which only
    lengthens cells (near-round cells cannot get much rounder). These are the conditions
    a confluence curve cannot see and an image embedding should.
    Draws come from their own stream of ``seed``, so adding them changes no other
    compound; names continue at ``<prefix><first>``.
    """
    rng = np.random.default_rng([seed, 1])
    concs = sorted(concentrations_um)
    mid = concs[len(concs) // 2] if len(concs) > 1 else concs[0]
    t_hi = max(times_h)
    compounds = []
    first_kind = int(rng.integers(len(MORPHOLOGY_ONLY_KINDS)))
    for i in range(n):
        kind = MORPHOLOGY_ONLY_KINDS[(first_kind + i) % len(MORPHOLOGY_ONLY_KINDS)]
        sign = 1.0 if kind == "elongation" else float(rng.choice([-1, 1]))
        signature = Signature(
            id=f"morph{i:02d}",
            kind=kind,
            magnitude=sign * float(rng.uniform(0.7, 1.0)),
            min_conc_um=float(mid),
            window_h=(float(rng.uniform(0.0, 12.0)), t_hi + 24.0),
            angle=float(rng.uniform(0, math.pi)),
        )
        compounds.append(Compound(f"{prefix}{first + i:03d}", MORPHOLOGICAL, (), signature))
    return tuple(compounds)


def timelapse_design(
    name: str = "SIM_TL",
    n_compounds: int = 5,
    cell_lines: tuple[str, ...] = ("HCT 15",),
    days: float = 3.0,
    every_h: float = 4.0,
    seed: int = 0,
    signatures: bool = False,
    compound_prefix: str = "CPD",
    n_morphological: int = 0,
    **kwargs: Any,
) -> ScreenDesign:
    """Return a time-lapse screen: imaging every ``every_h`` hours from -4 h for ``days`` days, 3 doses.

    Compound signatures are off by default here: the truth of a time-lapse screen is
    the response type, defined by the shape of the distance to control, and a
    signature that appears at a dose without a response (or persists after a
    cytostatic recovery) changes that shape without being part of the truth.
    End-point screens, whose truth is the compound itself, keep them.
    ``n_morphological`` adds compounds whose only effect is a signature
    (:func:`morphological_compounds`); their truth is that signature.
    """
    concs = (0.1, 1.0, 10.0)
    times = tuple(float(t) for t in np.arange(-4.0, days * 24.0 + 1e-9, every_h))
    lines = tuple(CELL_LINES[c] for c in cell_lines)
    compounds = make_compounds(n_compounds, concs, times, seed, signatures, compound_prefix)
    compounds += morphological_compounds(n_morphological, concs, times, seed, compound_prefix, n_compounds + 1)
    return ScreenDesign(name, "timelapse", lines, compounds, concs, times, **kwargs)


def endpoint_design(
    name: str = "SIM_EP",
    n_compounds: int = 10,
    cell_lines: tuple[str, ...] = ("HCT 15",),
    seed: int = 0,
    compound_prefix: str = "CPD",
    **kwargs: Any,
) -> ScreenDesign:
    """Return an end-point screen: imaging at 24 h and 72 h, three concentrations."""
    concs = (0.1, 1.0, 10.0)
    times = (24.0, 72.0)
    lines = tuple(CELL_LINES[c] for c in cell_lines)
    return ScreenDesign(
        name,
        "endpoint",
        lines,
        make_compounds(n_compounds, concs, times, seed, prefix=compound_prefix),
        concs,
        times,
        **kwargs,
    )
