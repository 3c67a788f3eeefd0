"""Shared fixtures: a throw-away phenodag home, its definitions, an ephemeral instance, ../shared data."""

import contextlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from phenodag.definitions import build_definitions
from phenodag.defs.shared.settings import DagsterSettings

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
def settings(tmp_path: Path) -> DagsterSettings:
    """DagsterSettings of a fresh phenodag home below the test's tmp_path."""
    return DagsterSettings.from_env(tmp_path / "home").ensure()


@pytest.fixture
def defs(settings: DagsterSettings) -> dg.Definitions:
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


SMALL_DEMO = [
    *("--plates", "2", "--sites", "1", "--workers", "2"),  # the demo's screen (5 + 2 compounds, 2 days) on 2 plates
    *("--train-steps", "60", "--train-images", "64", "--lens-steps", "4", "--lens-images", "24"),
    *("--group-epochs", "5"),
]
"""The one demo of a test session: the demo's screen design on 2 plates of 1 field, with small budgets.

The smallest screen whose answers can beat chance (the truth test reads them); the demo,
truth-block and browser tests read the same home, so the whole graph runs once.
"""


@dataclass(frozen=True)
class Demo:
    """A home left by ``phenodag demo`` (:data:`SMALL_DEMO`), what it printed, and its MLflow UI port."""

    home: Path
    out: str
    mlflow_port: int


def _run_demo(home: Path) -> Demo:
    """Run the small demo into ``home``; the MLflow UI port it links to is the browser test's."""
    from phenodag.cli import main
    from phenodag_tests.helpers import free_port

    port = free_port()
    saved = dict(os.environ)
    os.environ["PHENODAG_MLFLOW_UI"] = f"http://127.0.0.1:{port}"  # where the browser test serves MLflow
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            code = main(["demo", "--home", str(home), *SMALL_DEMO])
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert code == 0, out.getvalue()[-3000:]
    return Demo(home, out.getvalue(), port)


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """Run the small demo once per test session (the demo and truth tests read its tables, the browser test its UI).

    Under pytest-xdist every worker is its own process with its own session fixtures: the
    first worker to take the lock runs the demo in the folder all workers of this session
    share, and the others read what it left (the pattern pytest-xdist documents;
    ``--dist loadgroup`` would be the other way, but with pytest 9.2 it no longer groups).
    """
    from filelock import FileLock

    if "PYTEST_XDIST_WORKER" not in os.environ:
        return _run_demo(tmp_path_factory.mktemp("demo") / "home")
    shared = tmp_path_factory.getbasetemp().parent  # this session's folder, above each worker's own
    record = shared / "demo.json"
    with FileLock(str(shared / "demo.lock")):
        if not record.exists():
            demo = _run_demo(shared / "demo" / "home")
            record.write_text(json.dumps({"home": str(demo.home), "out": demo.out, "mlflow_port": demo.mlflow_port}))
    saved = json.loads(record.read_text())
    return Demo(Path(saved["home"]), saved["out"], int(saved["mlflow_port"]))
