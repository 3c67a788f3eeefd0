from pathlib import Path

import numpy as np
import polars as pl
import pytest
from PIL import Image

from phenodag.core.embed.classical import confluence
from phenodag.core.ingest.plate import ingest_plate
from phenodag.core.simulate import TRUTH_FILE, plan_screen, simulate_field, simulate_screen, timelapse_design
from phenodag.core.simulate.preview import contact_sheet
from phenodag.core.simulate.screen import WellPlan
from phenodag.core.simulate.truth import read_truth, uncovered_conditions


def mean_confluence(profile: str, design_seed: int = 0, fields: int = 3) -> tuple[np.ndarray, np.ndarray, object]:
    design = timelapse_design(n_compounds=5, days=4, every_h=8, image_size=160, seed=design_seed)
    index = {c.profile: i for i, c in enumerate(design.compounds)}
    compound = design.compounds[index[profile]] if profile != "control" else None
    curves = []
    for f in range(fields):
        well = WellPlan(0, 100 * f + index.get(profile, 50), "B02", compound, 10.0 if compound else 0.0)
        curves.append([confluence(img) for img in simulate_field(design, design.cell_lines[0], well, 1, seed=11)])
    spec = compound.response_at(10.0) if compound else None
    return np.array(design.times_h), np.mean(curves, axis=0), spec


def window(times: np.ndarray, curve: np.ndarray, lo: float, hi: float) -> float:
    sel = (times >= lo) & (times <= hi)
    return float(curve[sel][-1] - curve[sel][0])


def test_planted_responses_move_confluence_the_expected_way() -> None:
    times, control, _ = mean_confluence("control")
    _, toxic, _ = mean_confluence("cytotoxic")
    _, static, spec = mean_confluence("cytostatic")
    assert control[-1] > control[0] + 0.2  # controls grow towards confluence
    assert toxic[-1] < toxic[0] - 0.2 and toxic[-1] < control[-1] - 0.4  # cytotoxic: falling confluence
    on, off = spec.onset_h + 6, spec.onset_h + spec.duration_h  # type: ignore[attr-defined]
    arrest = window(times, static, on, off)
    assert arrest < 0.5 * window(times, control, on, off)  # flat while arrested ...
    assert window(times, static, off + 6, times[-1]) > max(arrest, 0.0) + 0.05  # ... then up


@pytest.mark.parametrize(("layout", "bit_depth"), [("incucyte", 8), ("cv8000", 16)])
def test_simulated_folders_ingest_with_nothing_quarantined(tmp_path: Path, layout: str, bit_depth: int) -> None:
    design = timelapse_design(
        n_compounds=3, days=0.5, every_h=6, image_size=64, layout=layout, bit_depth=bit_depth, sites=2, control_wells=2
    )
    folders = simulate_screen(design, tmp_path, seed=1)
    assert len(folders) == design.replicates and all((f / "COMPLETE").exists() for f in folders)
    for folder in folders:
        r = ingest_plate(folder)
        assert r.images is not None and r.quarantine.height == 0, r.quarantine["reason"].to_list()
        assert r.layout == layout
        assert r.images.height == design.n_images // design.replicates
        assert set(r.images["bit_depth"]) == {bit_depth}
        assert sorted(set(r.images["time_h"])) == sorted(design.times_h)
        truth = read_truth(folder / TRUTH_FILE, folder.name)
        assert uncovered_conditions(r.images, truth).height == 0
        assert truth.height == len(design.compounds) * len(design.concentrations_um) + 1  # + DMSO


def test_truth_matches_the_design(tmp_path: Path) -> None:
    design = timelapse_design(n_compounds=5, days=0.25, every_h=6, image_size=48)
    folder = simulate_screen(design, tmp_path, seed=0)[0]
    truth = pl.read_csv(folder / TRUTH_FILE)
    for c in design.compounds:
        for conc in design.concentrations_um:
            row = truth.filter((pl.col("compound") == c.name) & (pl.col("concentration_um") == conc))
            assert row["response_type"].to_list() == [c.response_at(conc).type]
    assert set(truth.filter(pl.col("is_control"))["compound"]) == {"DMSO"}


def test_well_layout_is_shuffled_per_replicate_plate() -> None:
    design = timelapse_design(n_compounds=5, days=0.25, every_h=6, replicates=2)
    p1, p2 = plan_screen(design, seed=0)
    layout = [
        {(w.compound.name if w.compound else "DMSO", w.concentration_um): w.well for w in p.wells} for p in (p1, p2)
    ]
    assert layout[0].keys() == layout[1].keys() and layout[0] != layout[1]
    assert plan_screen(design, seed=0)[0] == p1


def test_same_bytes_with_one_or_two_workers(tmp_path: Path) -> None:
    design = timelapse_design(n_compounds=1, days=0.25, every_h=6, image_size=48, replicates=1, control_wells=1)
    one = simulate_screen(design, tmp_path / "a", seed=5, workers=1)[0]
    two = simulate_screen(design, tmp_path / "b", seed=5, workers=2)[0]
    names = sorted(p.name for p in one.glob("*.tif"))
    assert names == sorted(p.name for p in two.glob("*.tif")) and names
    assert all((one / n).read_bytes() == (two / n).read_bytes() for n in names)


def test_contact_sheet(tmp_path: Path) -> None:
    design = timelapse_design(n_compounds=5, days=1, every_h=12, image_size=64)
    real = tmp_path / "real.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (80, 90), dtype=np.uint8)).save(real)
    out = contact_sheet(tmp_path / "sheet.png", design, columns=3, real_image=real, size=64)
    sheet = np.asarray(Image.open(out))
    rows = 1 + len({c.response_at(10.0).type for c in design.compounds})  # control + each response type
    assert sheet.shape == (rows * (64 + 14), 4 * 64)


def test_morphology_only_compounds_change_the_image_and_not_the_confluence() -> None:
    design = timelapse_design(n_compounds=1, days=2, every_h=24, image_size=160, n_morphological=4, seed=3)
    line = design.cell_lines[0]
    control = simulate_field(design, line, WellPlan(0, 7, "B02", None, 0.0), 1, seed=11)
    for compound in design.compounds[1:]:
        treated = simulate_field(design, line, WellPlan(0, 7, "B02", compound, 10.0), 1, seed=11)  # same cells
        for t, (a, b) in enumerate(zip(control, treated, strict=True)):
            assert abs(confluence(a) - confluence(b)) < 0.05, (compound.signature, design.times_h[t])
        changed = np.abs(control[-1].astype(float) - treated[-1].astype(float)).mean()
        assert changed > 1.0, compound.signature  # grey levels of 8 bits: the signature shows
