"""Simulator of label-free phase-contrast drug screens with planted, known responses."""

from phenodag.core.shared.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, __file__)
