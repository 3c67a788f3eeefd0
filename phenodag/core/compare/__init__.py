"""The compare stage: which encoder sees drug effects (pheno-ml section 4.2-4.3, Table 1, and copairs mAP)."""

from phenodag.core.shared.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, __file__)
