"""phenodag: lineage-tracked analysis of label-free image-based drug screens."""

__version__ = "0.1.0"

__all__ = ["__version__"]
