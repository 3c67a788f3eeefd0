"""The lock, pyproject.toml and the package's imports agree, and the environment is the lock.

``requirements.lock`` (``make lock``, pip-tools) pins every package the tests and the demo run
with; ``pyproject.toml`` keeps the ranges a user's own environment needs. A dependency added to
one and not the other, a pin moved by hand outside its declared range, or an import of an
undeclared distribution fails here, before a user finds it.
"""

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "phenodag"
LOCK = REPO / "requirements.lock"
PROJECT_VIA = "phenodag (pyproject.toml)"


def declared() -> tuple[list[Requirement], dict[str, list[Requirement]]]:
    """The base dependencies and each optional extra of ``pyproject.toml``."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    base = [Requirement(r) for r in project["dependencies"]]
    extras = {k: [Requirement(r) for r in v] for k, v in project.get("optional-dependencies", {}).items()}
    return base, extras


def locked() -> dict[str, tuple[str, set[str]]]:
    """Each locked package: its exact version and the names its ``# via`` comment gives."""
    entries: dict[str, tuple[str, set[str]]] = {}
    current = ""
    for line in LOCK.read_text().splitlines():
        pin = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line)
        if pin:
            current = canonicalize_name(pin[1])
            entries[current] = (pin[2], set())
            continue
        via = re.match(r"^\s+#\s+(?:via\s+)?(?:via$)?(.*)$", line)
        if current and via and via[1].strip() and not via[1].strip().startswith("-r"):
            entries[current][1].add(via[1].strip())
    return entries


def test_every_declared_dependency_is_locked_within_its_range() -> None:
    base, extras = declared()
    lock = locked()
    problems = []
    for req in base + [r for rs in extras.values() for r in rs]:
        name = canonicalize_name(req.name)
        if name not in lock:
            problems.append(f"{req} is declared in pyproject.toml but not in requirements.lock (run `make lock`)")
        elif not req.specifier.contains(lock[name][0], prereleases=True):
            problems.append(f"requirements.lock pins {name}=={lock[name][0]}, outside pyproject.toml's {req}")
    assert problems == []


def test_every_locked_package_is_declared_or_needed_by_one_that_is() -> None:
    base, extras = declared()
    names = {canonicalize_name(r.name) for r in base + [r for rs in extras.values() for r in rs]}
    lock = locked()
    direct = {name for name, (_, via) in lock.items() if PROJECT_VIA in via}
    assert direct == names, "requirements.lock was made from another pyproject.toml: run `make lock`"
    orphans = [
        name
        for name, (_, via) in lock.items()
        if not any(v == PROJECT_VIA or canonicalize_name(v.split()[0]) in lock for v in via)
    ]
    assert orphans == [], f"locked but needed by nothing declared: {orphans}"


def test_the_environment_is_the_lock() -> None:
    lock = locked()
    differ = {}
    for name, (version, _) in lock.items():
        try:
            have = md.version(name)
        except md.PackageNotFoundError:
            have = "absent"
        if have != version:
            differ[name] = f"locked {version}, installed {have}"
    assert differ == {}, "install from the lock: `make install` (pip install --require-hashes -r requirements.lock)"


def imports(path: Path) -> tuple[set[str], set[str]]:
    """Top-level names of the absolute imports in ``path``: (at module level, anywhere)."""
    tree = ast.parse(path.read_text())
    names = {
        node: ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""])
        for node in ast.walk(tree)
        if isinstance(node, ast.Import) or (isinstance(node, ast.ImportFrom) and node.level == 0)
    }
    inside = {
        node for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) for node in ast.walk(fn)
    }
    top = {n.split(".")[0] for node, ns in names.items() if node not in inside for n in ns}
    every = {n.split(".")[0] for ns in names.values() for n in ns}
    return top, every


def third_party(names: set[str]) -> set[str]:
    return {n for n in names if n not in sys.stdlib_module_names and n not in {"phenodag", "__future__"}}


def test_every_import_of_the_package_is_a_declared_distribution() -> None:
    base, extras = declared()
    base_names = {canonicalize_name(r.name) for r in base}
    extra_names = {canonicalize_name(r.name) for rs in extras.values() for r in rs}
    providers = md.packages_distributions()
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        top, every = imports(path)
        for module in sorted(third_party(every)):
            dists = {canonicalize_name(d) for d in providers.get(module, [])}
            where = f"{path.relative_to(REPO)} imports {module}"
            if not dists:
                problems.append(f"{where}, which no installed distribution provides")
            elif module in top and not dists & base_names:
                problems.append(f"{where} at module level: declare {sorted(dists)} in [project].dependencies")
            elif not dists & (base_names | extra_names):
                problems.append(f"{where}: declare {sorted(dists)} in pyproject.toml")
    assert problems == []


def test_the_import_walk_sees_function_level_and_module_level_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nimport numpy as np\nfrom scipy import stats\n\ndef f():\n    import dagster_k8s\n")
    top, every = imports(module)
    assert third_party(top) == {"numpy", "scipy"}
    assert third_party(every) == {"numpy", "scipy", "dagster_k8s"}
