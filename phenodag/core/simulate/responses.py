"""Planted responses as time courses of what they do to a population.

Each response type maps time since treatment to four modifiers:

- ``growth``: multiplies the division rate (1 = untreated, 0 = arrest);
- ``death``: probability per hour that a cell starts to die;
- ``enlarge``: multiplies cell size (flattened, spread cells under arrest);
- ``flatten``: 0..1, lowers interior contrast and elongation (flat cells).

``no_effect`` leaves all at their neutral values. ``cytostatic``: arrest with
enlarged, flattened cells from the onset for ``duration_h``, then recovery.
``cytotoxic``: arrest and a death rate growing with time (rounding, blebbing,
detachment, debris). ``mixed``: the cytostatic arrest, recovery for
``MIXED_RECOVERY_H``, then partial death (half the cytotoxic rate), so the distance to
control rises, partly returns and rises again.
"""

from __future__ import annotations

from dataclasses import dataclass

from phenodag.core.simulate.design import ResponseSpec

MAX_DEATH_PER_H = 0.06
MIXED_RECOVERY_H = 18.0


@dataclass(frozen=True)
class Modifiers:
    """What a response does to the population at one time."""

    growth: float = 1.0
    death: float = 0.0
    enlarge: float = 1.0
    flatten: float = 0.0


def ramp(t: float, start: float, width: float = 6.0) -> float:
    """Smoothstep from 0 at ``start`` to 1 at ``start + width``."""
    x = min(max((t - start) / width, 0.0), 1.0)
    return x * x * (3 - 2 * x)


def modifiers(spec: ResponseSpec, t_h: float) -> Modifiers:
    """Return the modifiers of a planted response at ``t_h`` hours after treatment."""
    s = spec.strength
    if spec.type == "no_effect" or s <= 0:
        return Modifiers()
    arrest = ramp(t_h, spec.onset_h) * (1.0 - ramp(t_h, spec.onset_h + spec.duration_h, 12.0))
    if spec.type == "cytostatic":
        return Modifiers(growth=1.0 - s * arrest, enlarge=1.0 + 0.1 * s * arrest, flatten=s * arrest)
    if spec.type == "cytotoxic":
        on = ramp(t_h, spec.onset_h, 12.0)
        grow = min(max((t_h - spec.onset_h) / 48.0, 0.0), 1.0)
        return Modifiers(growth=1.0 - s * on, death=MAX_DEATH_PER_H * s * on * (0.4 + 0.6 * grow))
    # mixed: arrest as cytostatic, recovery, then partial death
    late = ramp(t_h, spec.onset_h + spec.duration_h + MIXED_RECOVERY_H, 12.0)
    return Modifiers(
        growth=1.0 - s * max(arrest, late),
        death=0.5 * MAX_DEATH_PER_H * s * late,
        enlarge=1.0 + 0.1 * s * arrest * (1 - late),
        flatten=s * arrest * (1 - late),
    )
