"""The sql stage: dbt-like SQL models over the Delta tables, run with polars SQL."""

from phenodag.core.shared.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, __file__)
