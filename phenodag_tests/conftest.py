"""Shared fixtures: a throw-away phenodag home, and the real data of ../shared when present."""

from pathlib import Path

import pytest

from phenodag.core.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
T98G_FRAMES = SHARED / "data" / "usiigaci-t98g-phase-contrast" / "frames"
PHENOML = SHARED / "reference" / "pheno-ml"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings of a fresh phenodag home below the test's tmp_path."""
    return Settings.from_env(tmp_path / "home").ensure()


@pytest.fixture
def t98g_frames() -> list[Path]:
    """The real T98G 16-bit frames, or skip when ../shared is absent (a user's fresh clone)."""
    frames = sorted(T98G_FRAMES.glob("*.tif"))
    if not frames:
        pytest.skip(f"real T98G frames not found at {T98G_FRAMES} (../shared is absent in a fresh clone)")
    return frames


@pytest.fixture
def phenoml_weights() -> Path:
    """The published pheno-ml ConvAE state dict, or skip when ../shared is absent."""
    path = PHENOML / "convae_trained_model.torch"
    if not path.is_file():
        pytest.skip(f"published pheno-ml weights not found at {path} (../shared is absent in a fresh clone)")
    return path


@pytest.fixture
def hct15_image() -> Path:
    """The real HCT15 Incucyte example image, or skip when ../shared is absent."""
    path = PHENOML / "HCT15_example.jpg"
    if not path.is_file():
        pytest.skip(f"HCT15 example not found at {path} (../shared is absent in a fresh clone)")
    return path
