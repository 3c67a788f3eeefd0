"""Temporal drug-effect analysis: distance-to-control trajectories, DTW k-means, response types."""

from phenodag.core.shared.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, __file__)
