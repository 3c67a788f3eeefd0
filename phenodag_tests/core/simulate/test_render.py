import numpy as np
import pytest

from phenodag.core.simulate.design import CELL_LINES, Compound, timelapse_design
from phenodag.core.simulate.population import seed_population
from phenodag.core.simulate.render import (
    BACKGROUND,
    MASK_BACKGROUND,
    MASK_CELL,
    MASK_SIGNATURE,
    Look,
    field_background,
    quantise,
    render,
)
from phenodag.core.simulate.screen import WellPlan, simulate_field

LINE = CELL_LINES["HCT 15"]


def test_quantise_8_and_16_bit() -> None:
    img = np.array([[-5.0, 128.4, 300.0]])
    assert quantise(img, 8).tolist() == [[0, 128, 255]] and quantise(img, 8).dtype == np.uint8
    q16 = quantise(img, 16)
    assert q16.dtype == np.uint16 and q16.tolist() == [[0, 32870, 65535]]


def test_cells_have_dark_interior_edge_and_bright_halo() -> None:
    rng = np.random.default_rng(0)
    pop = seed_population(rng, LINE, 128)
    illum, texture = field_background(rng, 128)
    img = render(pop, LINE, Look(), np.full_like(illum, BACKGROUND), np.zeros_like(texture), rng)
    assert img.min() < BACKGROUND - 30 and img.max() > BACKGROUND + 40
    assert img.shape == (128, 128) and abs(float(np.median(img)) - BACKGROUND) < 15  # mostly background


def test_field_is_deterministic_by_seed() -> None:
    design = timelapse_design(n_compounds=1, days=0.5, every_h=6, image_size=96)
    well = WellPlan(0, 3, "B02", design.compounds[0], 10.0)
    a = simulate_field(design, LINE, well, 1, seed=7)
    b = simulate_field(design, LINE, well, 1, seed=7)
    c = simulate_field(design, LINE, well, 1, seed=8)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])
    assert len(a) == len(design.times_h) and a[0].shape == (96, 96) and a[0].dtype == np.uint8


def test_16_bit_fields() -> None:
    design = timelapse_design(n_compounds=1, days=0.25, every_h=6, image_size=64, bit_depth=16)
    frames = simulate_field(design, LINE, WellPlan(0, 0, "B02", None, 0.0), 1, seed=0)
    assert frames[0].dtype == np.uint16 and 20_000 < frames[0].mean() < 45_000


@pytest.mark.parametrize("kind", ["elongation", "size", "granularity", "nucleus", "halo", "alignment"])
def test_each_signature_changes_the_image(kind: str) -> None:
    rng = np.random.default_rng(3)
    pop = seed_population(rng, LINE, 96)
    illum, texture = field_background(rng, 96)
    base = render(pop, LINE, Look(), illum, texture, np.random.default_rng(0))
    sig = render(
        pop,
        LINE,
        Look(signature_kind=kind, signature_weight=1.0, signature_angle=0.3),
        illum,
        texture,
        np.random.default_rng(0),
    )
    assert np.abs(sig - base).mean() > 0.3


def test_inactive_compound_matches_control_statistics() -> None:
    design = timelapse_design(n_compounds=1, days=1, every_h=12, image_size=128)
    inactive = Compound("X", "inactive")
    ctrl = [simulate_field(design, LINE, WellPlan(0, i, "B02", None, 0.0), 1, 0)[-1] for i in range(4)]
    drug = [simulate_field(design, LINE, WellPlan(0, 10 + i, "B03", inactive, 10.0), 1, 0)[-1] for i in range(4)]
    assert abs(np.mean([f.std() for f in ctrl]) - np.mean([f.std() for f in drug])) < 3.0


def test_mask_labels_cells_and_signature_cells_only_when_the_signature_shows() -> None:
    rng = np.random.default_rng(3)
    pop = seed_population(rng, LINE, 96)
    illum, texture = field_background(rng, 96)
    plain, marked = np.zeros((96, 96), np.uint8), np.zeros((96, 96), np.uint8)
    img = render(pop, LINE, Look(), illum, texture, np.random.default_rng(0), plain)
    assert np.array_equal(img, render(pop, LINE, Look(), illum, texture, np.random.default_rng(0)))  # mask is passive
    look = Look(signature_kind="size", signature_weight=1.0)
    render(pop, LINE, look, illum, texture, np.random.default_rng(0), marked)
    assert set(np.unique(plain)) == {MASK_BACKGROUND, MASK_CELL}
    assert MASK_SIGNATURE in marked and 0.05 < float(np.mean(plain > 0)) < 0.95
    dark = img < BACKGROUND - 20  # cell interiors and edges are darker than the background
    assert plain[dark].mean() > plain[~dark].mean()


def test_field_masks_follow_the_frames() -> None:
    design = timelapse_design(n_compounds=1, days=0.25, every_h=6, image_size=64)
    masks: list[np.ndarray] = []
    frames = simulate_field(design, LINE, WellPlan(0, 0, "B02", None, 0.0), 1, 0, masks)
    assert len(masks) == len(frames) and masks[0].shape == (64, 64)
    assert all(
        np.array_equal(a, b)
        for a, b in zip(frames, simulate_field(design, LINE, WellPlan(0, 0, "B02", None, 0.0), 1, 0), strict=True)
    )
