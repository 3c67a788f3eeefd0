"""A stage package's public verbs, exported lazily: ``from phenodag.core.embed import load_encoder``.

A package ``__init__`` that imported its driver modules would load torch for anyone who
reads a torch-free module of the package (the Dagster definitions read ``config``). The
verbs are therefore resolved on first access (PEP 562, as scanpy's lazy submodules).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, verbs: Mapping[str, str]) -> tuple[Callable[[str], Any], list[str]]:
    """Return a module ``__getattr__`` and ``__all__`` for ``package``'s verbs, ``{verb: module}``.

    Parameters
    ----------
    package
        The package's ``__name__``.
    verbs
        Each public verb and the module of the package that defines it.
    """

    def resolve(name: str) -> Any:
        if name in verbs:
            return getattr(importlib.import_module(f"{package}.{verbs[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return resolve, sorted(verbs)
