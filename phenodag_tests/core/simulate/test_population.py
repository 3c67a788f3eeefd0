import math

import numpy as np

from phenodag.core.simulate.design import CELL_LINES
from phenodag.core.simulate.population import DYING, confluence, repel, seed_population, step
from phenodag.core.simulate.responses import Modifiers

LINE = CELL_LINES["HCT 15"]


def grow(mods: Modifiers, hours: int, seed: int = 0, size: int = 128) -> list[int]:
    rng = np.random.default_rng(seed)
    pop = seed_population(rng, LINE, size)
    counts = [pop.n]
    for _ in range(hours):
        step(pop, rng, LINE, mods, size, 1.0)
        counts.append(pop.n)
    return counts


def test_logistic_growth_saturates_near_max_confluence() -> None:
    rng = np.random.default_rng(0)
    pop = seed_population(rng, LINE, 128)
    start = confluence(pop, 128)
    for _ in range(300):
        step(pop, rng, LINE, Modifiers(), 128, 1.0)
    assert start < 0.3
    assert 0.8 * LINE.max_confluence < confluence(pop, 128) <= LINE.max_confluence * 1.15


def test_arrest_and_death_change_counts() -> None:
    control = grow(Modifiers(), 48)
    arrested = grow(Modifiers(growth=0.0), 48)
    killed = grow(Modifiers(growth=0.0, death=0.08), 48)
    assert control[-1] > 1.5 * control[0]
    assert arrested[-1] <= arrested[0] * 1.05
    assert killed[-1] < 0.3 * killed[0]


def test_dying_cells_leave_debris() -> None:
    rng = np.random.default_rng(1)
    pop = seed_population(rng, LINE, 128)
    debris_before = pop.debris_x.size
    for _ in range(24):
        step(pop, rng, LINE, Modifiers(death=0.1), 128, 1.0)
    assert pop.debris_x.size > debris_before
    assert np.all((pop.debris_x >= 0) & (pop.debris_x < 128))
    assert np.any(pop.state == DYING) or pop.n < 5


def test_repel_separates_overlapping_cells() -> None:
    rng = np.random.default_rng(2)
    pop = seed_population(rng, LINE, 128)
    pop.x[:] = 64 + rng.normal(0, 2, pop.n)
    pop.y[:] = 64 + rng.normal(0, 2, pop.n)

    def min_gap() -> float:
        d = np.hypot(pop.x[:, None] - pop.x[None], pop.y[:, None] - pop.y[None]) + np.eye(pop.n) * 1e9
        return float(d.min())

    before = min_gap()
    for _ in range(30):
        repel(pop, 128)
    assert min_gap() > 3 * before
    assert math.isfinite(pop.x.sum()) and np.all((pop.x >= 0) & (pop.x < 128))
