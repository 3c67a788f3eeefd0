"""A field's cell population over time: density-limited growth, mitosis, death, motion, debris.

Growth is Richards-type: the division rate is scaled by ``1 - (c / c_max) ** GROWTH_SHAPE``
for confluence ``c``. With ``GROWTH_SHAPE = 4`` cells divide near their full rate until
the field is crowded and then stop quickly, so untreated wells reach a plateau within
two to three days, as real monolayers do; the plain logistic (shape 1) slows growth
from the first hour and leaves controls far from confluence after four days.

State is a struct of arrays (one entry per cell), updated in whole-array steps. The
field is periodic (a torus), so density stays uniform as cells move. Cells go
ADHERENT → MITOTIC (rounded, 1.5 h) → two daughters, or ADHERENT/MITOTIC → DYING
(rounded, granular, 4-10 h) → removed, leaving debris that slowly floats away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from phenodag.core.simulate.design import CellLine
from phenodag.core.simulate.responses import Modifiers

ADHERENT, MITOTIC, DYING = 0, 1, 2
N_HARMONICS = 3  # shape harmonics k = 3, 4, 5
N_GRANULES = 12
MITOSIS_H = 1.5
BASAL_DEATH_PER_H = 0.001
DEBRIS_LOSS_PER_H = 0.01
GROWTH_SHAPE = 4.0


@dataclass
class Population:
    """Cells of one field (arrays of equal length) and debris particles."""

    x: np.ndarray
    y: np.ndarray
    radius: np.ndarray
    elong: np.ndarray
    angle: np.ndarray
    harm_amp: np.ndarray
    harm_phase: np.ndarray
    nuc_dx: np.ndarray
    nuc_dy: np.ndarray
    nuc_r: np.ndarray
    gran_rho: np.ndarray
    gran_theta: np.ndarray
    state: np.ndarray
    timer: np.ndarray
    debris_x: np.ndarray
    debris_y: np.ndarray
    debris_s: np.ndarray

    @property
    def n(self) -> int:
        """Number of cells."""
        return int(self.x.size)

    def cell_fields(self) -> list[str]:
        """Names of the per-cell arrays."""
        return [f.name for f in fields(self) if not f.name.startswith("debris")]

    def take(self, keep: np.ndarray) -> None:
        """Keep only the cells selected by the boolean or index array ``keep``."""
        for name in self.cell_fields():
            setattr(self, name, getattr(self, name)[keep])

    def extend(self, other: Population) -> None:
        """Append the cells of ``other``."""
        for name in self.cell_fields():
            setattr(self, name, np.concatenate([getattr(self, name), getattr(other, name)]))


def new_cells(rng: np.random.Generator, line: CellLine, x: np.ndarray, y: np.ndarray) -> Population:
    """Draw cells of ``line`` at the given positions, each with its own shape."""
    n = x.size
    radius = line.radius * rng.lognormal(0.0, 0.15, n)
    return Population(
        x=x.astype(np.float64),
        y=y.astype(np.float64),
        radius=radius,
        elong=line.elongation * rng.uniform(0.6, 1.4, n),
        angle=rng.uniform(0.0, math.pi, n),
        harm_amp=line.irregularity * rng.uniform(0.2, 1.0, (n, N_HARMONICS)) / np.arange(1, N_HARMONICS + 1),
        harm_phase=rng.uniform(0.0, 2 * math.pi, (n, N_HARMONICS)),
        nuc_dx=rng.normal(0.0, 0.12, n) * radius,
        nuc_dy=rng.normal(0.0, 0.12, n) * radius,
        nuc_r=0.33 * radius * rng.uniform(0.85, 1.15, n),
        gran_rho=0.75 * np.sqrt(rng.uniform(0.05, 1.0, (n, N_GRANULES))),
        gran_theta=rng.uniform(0.0, 2 * math.pi, (n, N_GRANULES)),
        state=np.zeros(n, dtype=np.int8),
        timer=np.zeros(n),
        debris_x=np.zeros(0),
        debris_y=np.zeros(0),
        debris_s=np.zeros(0),
    )


def seed_population(rng: np.random.Generator, line: CellLine, size: int) -> Population:
    """Seed a field of ``size`` x ``size`` px at the line's seeding confluence."""
    n0 = max(1, round(line.seeding * size * size / (math.pi * line.radius**2)))
    pop = new_cells(rng, line, rng.uniform(0, size, n0), rng.uniform(0, size, n0))
    k = max(0, round(rng.poisson(2.0 * size * size / 256**2)))
    pop.debris_x, pop.debris_y, pop.debris_s = (
        rng.uniform(0, size, k),
        rng.uniform(0, size, k),
        rng.uniform(0.6, 1.5, k),
    )
    return pop


def confluence(pop: Population, size: int, enlarge: float = 1.0) -> float:
    """Fraction of the field the adherent and mitotic cells cover (area estimate from radii)."""
    alive = pop.state != DYING
    return float(np.sum(math.pi * (pop.radius[alive] * enlarge) ** 2) / (size * size))


def repel(pop: Population, size: int, enlarge: float = 1.0, overlap: float = 0.85) -> None:
    """Push overlapping adherent cells apart (half the overlap each), so they form a monolayer.

    Pairs closer than ``overlap`` x the sum of their radii move apart along the line
    joining them (minimum-image distances on the periodic field). Rounded cells sit on
    top and are not pushed.
    """
    idx = np.flatnonzero(pop.state == ADHERENT)
    if idx.size < 2:
        return
    x, y, r = pop.x[idx], pop.y[idx], pop.radius[idx] * enlarge
    dx = x[:, None] - x[None, :]
    dy = y[:, None] - y[None, :]
    dx -= size * np.round(dx / size)
    dy -= size * np.round(dy / size)
    dist = np.hypot(dx, dy) + np.eye(idx.size) * 1e9 + 1e-9
    push = np.clip(overlap * (r[:, None] + r[None, :]) - dist, 0.0, None) * 0.5
    pop.x[idx] = (x + np.sum(push * dx / dist, axis=1) * 0.5) % size
    pop.y[idx] = (y + np.sum(push * dy / dist, axis=1) * 0.5) % size


def step(pop: Population, rng: np.random.Generator, line: CellLine, mods: Modifiers, size: int, dt: float) -> None:
    """Advance the population by ``dt`` hours under the response ``mods`` (in place)."""
    crowding = confluence(pop, size, mods.enlarge) / line.max_confluence
    logistic = max(0.0, 1.0 - min(crowding, 1.0) ** GROWTH_SHAPE)
    p_div = math.log(2) / line.doubling_h * dt * logistic * max(mods.growth, 0.0)
    p_die = 1.0 - math.exp(-(mods.death + BASAL_DEATH_PER_H) * dt)
    u = rng.uniform(size=pop.n)
    adherent = pop.state == ADHERENT
    dying_now = (pop.state != DYING) & (u < p_die)
    mitosis_now = adherent & ~dying_now & (u >= p_die) & (u < p_die + p_div)
    pop.state[mitosis_now] = MITOTIC
    pop.timer[mitosis_now] = MITOSIS_H
    pop.state[dying_now] = DYING
    pop.timer[dying_now] = rng.uniform(4.0, 10.0, int(dying_now.sum()))
    pop.timer -= dt * (pop.state != ADHERENT)

    gone = (pop.state == DYING) & (pop.timer <= 0)
    if gone.any():
        k = int(gone.sum()) * 3
        src = np.repeat(np.flatnonzero(gone), 3)
        pop.debris_x = np.concatenate([pop.debris_x, (pop.x[src] + rng.normal(0, 4, k)) % size])
        pop.debris_y = np.concatenate([pop.debris_y, (pop.y[src] + rng.normal(0, 4, k)) % size])
        pop.debris_s = np.concatenate([pop.debris_s, rng.uniform(0.6, 1.6, k)])
        pop.take(~gone)

    split = (pop.state == MITOTIC) & (pop.timer <= 0)
    if split.any():
        idx = np.flatnonzero(split)
        off = 0.6 * pop.radius[idx]
        dx, dy = off * np.cos(pop.angle[idx]), off * np.sin(pop.angle[idx])
        daughters = new_cells(rng, line, (pop.x[idx] + dx) % size, (pop.y[idx] + dy) % size)
        daughters.angle = (pop.angle[idx] + rng.normal(0, 0.3, idx.size)) % math.pi
        pop.x[idx], pop.y[idx] = (pop.x[idx] - dx) % size, (pop.y[idx] - dy) % size
        pop.state[idx] = ADHERENT
        pop.timer[idx] = 0.0
        pop.extend(daughters)

    moving = pop.state == ADHERENT
    sd = line.motility * math.sqrt(dt)
    pop.x[moving] = (pop.x[moving] + rng.normal(0, sd, int(moving.sum()))) % size
    pop.y[moving] = (pop.y[moving] + rng.normal(0, sd, int(moving.sum()))) % size
    pop.angle[moving] = (pop.angle[moving] + rng.normal(0, 0.05 * math.sqrt(dt), int(moving.sum()))) % math.pi
    repel(pop, size, mods.enlarge)
    keep = rng.uniform(size=pop.debris_x.size) >= DEBRIS_LOSS_PER_H * dt
    pop.debris_x, pop.debris_y, pop.debris_s = pop.debris_x[keep], pop.debris_y[keep], pop.debris_s[keep]
