"""Group-based compound classification (Baručić et al.): groups, models, training, cross-validation."""

from phenodag.core.shared.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "build_groups": "grouping",
        "run_method_cv": "run",
        "run_transfer": "reuse",
        "run_robustness": "reuse",
    },
)
