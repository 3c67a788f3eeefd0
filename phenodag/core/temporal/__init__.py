"""Temporal drug-effect analysis: distance-to-control trajectories, DTW k-means, response types."""

from phenodag.core.shared.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "trajectories": "trajectories",
        "cluster_trajectories": "pipeline",
        "growth_curves": "growth",
        "gr_over_time": "growth",
        "gr_metrics": "growth",
        "response_calls": "combined",
    },
)
