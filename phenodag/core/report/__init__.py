"""The report stage: one screen report (HTML page and PNG summary) built from the lake's tables."""

from phenodag.core.shared.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, __file__)
