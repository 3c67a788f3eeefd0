"""Shared fixtures: a throw-away phenodag home, its definitions, an ephemeral instance, ../shared data."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from phenodag.core.shared.settings import Settings
from phenodag.definitions import build_definitions

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
T98G_FRAMES = SHARED / "data" / "usiigaci-t98g-phase-contrast" / "frames"
PHENOML = SHARED / "reference" / "pheno-ml"


def shared_file(path: Path, what: str) -> Path:
    """Return ``path`` if it exists, else skip: a user's fresh clone has no ../shared."""
    if not path.exists():
        pytest.skip(f"{what} not found at {path} (../shared is absent in a fresh clone)")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings of a fresh phenodag home below the test's tmp_path."""
    return Settings.from_env(tmp_path / "home").ensure()


@pytest.fixture
def defs(settings: Settings) -> dg.Definitions:
    """The Definitions bound to the throw-away home."""
    return build_definitions(settings)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """An ephemeral Dagster instance."""
    with dg.instance_for_test() as inst:
        yield inst


@pytest.fixture
def t98g_frames() -> list[Path]:
    """The real T98G 16-bit frames."""
    return sorted(shared_file(T98G_FRAMES, "real T98G frames").glob("*.tif"))


@pytest.fixture
def phenoml_weights() -> Path:
    """The published pheno-ml ConvAE state dict."""
    return shared_file(PHENOML / "convae_trained_model.torch", "published pheno-ml weights")


@pytest.fixture
def hct15_image() -> Path:
    """The real HCT15 Incucyte example image."""
    return shared_file(PHENOML / "HCT15_example.jpg", "HCT15 example")
