"""The ingest stage: plate folders from the inbox → rows of ``raw_images``, ``quarantine`` and ``plates``."""

from phenodag.core.shared.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, __file__)
