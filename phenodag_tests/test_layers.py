"""The layering rules: core never imports dagster nor defs mlflow; defs reach a stage through its driver."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "phenodag"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_never_imports_dagster() -> None:
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in (PACKAGE / "core").rglob("*.py")
        if any(m == "dagster" or m.startswith("dagster.") for m in imported_modules(p))
    ]
    assert offenders == []


def test_every_stage_has_one_core_package_and_one_defs_module() -> None:
    core = {p.name for p in (PACKAGE / "core").iterdir() if (p / "__init__.py").exists()} - {"shared"}
    defs = {p.stem for p in (PACKAGE / "defs").glob("*.py")} - {"__init__"}
    from phenodag.definitions import STAGES

    assert core == defs == {m.__name__.rsplit(".", 1)[1] for m in STAGES}
    assert all((PACKAGE / "core" / stage / "run.py").exists() for stage in core), "every stage has a driver, run.py"
    tests = Path(__file__).resolve().parent
    assert {p.name for p in (tests / "core").iterdir() if p.is_dir() and p.name != "__pycache__"} >= core
    assert {p.stem.removeprefix("test_") for p in (tests / "defs").glob("test_*.py")} == defs


def test_definitions_load_without_torch() -> None:
    code = "import sys, phenodag.definitions; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_stage_contributes_its_own_definitions() -> None:
    """definitions.py merges one Definitions per stage; a new stage adds one entry to STAGES."""
    from phenodag.definitions import STAGES

    defs = {p.stem for p in (PACKAGE / "defs").glob("*.py")} - {"__init__"}
    assert {m.__name__.rsplit(".", 1)[1] for m in STAGES} == defs
    assert all(callable(getattr(m, "definitions", None)) for m in STAGES)


def test_the_architecture_layout_names_every_module() -> None:
    """docs/architecture.md's layout stays true: every core and defs/shared module is named under its package."""
    import re

    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    core_part, defs_part = doc.split("```\nphenodag/", 1)[1].split("```", 1)[0].split("\n  defs/\n", 1)
    packages = [(p, core_part) for p in (PACKAGE / "core").iterdir() if (p / "__init__.py").exists()]
    for package, part in [*packages, (PACKAGE / "defs" / "shared", defs_part)]:
        found = re.search(rf"^\s+{package.name}/\s+(.*?)(?=^\s+[\w.]+/|^\s+ingest\.py|\Z)", part, re.S | re.M)
        assert found, f"{package.name}/ is missing from the layout"
        for module in (p.stem for p in package.glob("*.py") if p.stem != "__init__"):
            assert re.search(rf"\b{module}\b", found.group(1)), f"{package.name}/{module}.py is missing from the layout"


def test_only_private_api_reaches_past_dagsters_public_api() -> None:
    users = sorted(
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if "dagster._" in p.read_text() and p.name != "private_api.py"
    )
    assert users == []


DRIVER_SIDE = {"run", "config", "figures"}
"""What the orchestration may import of a stage: its driver, its configs (Dagster subclasses them), its figures."""


def test_defs_reach_a_stage_only_through_its_driver_configs_and_figures() -> None:
    """The route from a UI asset group to the science is always defs/<stage>.py -> core/<stage>/run.py."""
    offenders = []
    for path in [*(PACKAGE / "defs").rglob("*.py"), PACKAGE / "definitions.py"]:
        for module in imported_modules(path):
            parts = module.split(".")
            outside = parts[:2] == ["phenodag", "core"] and len(parts) > 3 and parts[2] != "shared"
            if outside and parts[3] not in DRIVER_SIDE:
                offenders.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert offenders == []


def test_mlflow_is_written_by_core_only() -> None:
    """One layer logs to MLflow: each stage's driver in core (the defs resource opens runs through core too)."""
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in (PACKAGE / "defs").rglob("*.py")
        if any(m == "mlflow" or m.startswith("mlflow.") for m in imported_modules(p))
    ]
    assert offenders == []
