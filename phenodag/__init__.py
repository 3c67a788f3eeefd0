"""phenodag: lineage-tracked analysis of label-free image-based drug screens."""

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "embed"]

if TYPE_CHECKING:
    from phenodag.api import embed


def __getattr__(name: str) -> Any:
    """Import ``embed`` on first use, so that ``import phenodag`` does not load torch."""
    if name == "embed":
        from phenodag.api import embed

        return embed
    raise AttributeError(f"module 'phenodag' has no attribute {name!r}")
