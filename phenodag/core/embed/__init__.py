"""The embed stage: encoders behind one registry, ConvAE training, embeddings per encoder and plate.

This package's ``__init__`` exports its verbs lazily (:mod:`phenodag.core.shared.lazy`), so
that reading its torch-free modules (:mod:`.config`) does not load torch. Modules that import torchvision import
:mod:`phenodag.core.shared.torch_compat` first.
"""

from phenodag.core.shared.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, __file__)
