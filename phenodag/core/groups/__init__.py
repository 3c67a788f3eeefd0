"""Group-based compound classification (Baručić et al.): groups, models, training, cross-validation."""

from phenodag.core.shared.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, __file__)
