"""A stage package's public verbs, exported lazily from its driver: ``from phenodag.core.embed import load_encoder``.

Every stage has one driver module, ``run.py``: the functions its Dagster assets call,
defined there or imported into it from the module that does the work, listed in its
``__all__``. The package ``__init__`` exports the same names without importing the driver
(which loads torch for the embed, lens and groups stages) until a verb is first used
(PEP 562, as scanpy's lazy submodules); the names are read from ``run.py``'s ``__all__``
literal, so the verbs are listed once.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

DRIVER = "run"
"""The name of every stage's driver module."""


def driver_verbs(path: Path) -> list[str]:
    """Read the names in the ``__all__ = [...]`` literal of the module at ``path``.

    Raises
    ------
    ValueError
        When the module has no literal ``__all__``.
    """
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return sorted(ast.literal_eval(node.value))
    raise ValueError(f"{path} has no literal __all__ listing its public verbs")


def lazy_exports(package: str, init_file: str) -> tuple[Callable[[str], Any], list[str]]:
    """Return a module ``__getattr__`` and ``__all__`` exporting the verbs of ``package``'s driver.

    Parameters
    ----------
    package
        The package's ``__name__``.
    init_file
        The package's ``__file__`` (its ``run.py`` lies beside it).
    """
    verbs = driver_verbs(Path(init_file).with_name(f"{DRIVER}.py"))

    def resolve(name: str) -> Any:
        if name in verbs:
            return getattr(importlib.import_module(f"{package}.{DRIVER}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return resolve, verbs
