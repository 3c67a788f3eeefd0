"""The embed stage: encoders behind one registry, ConvAE training, embeddings per encoder and plate.

This package's ``__init__`` imports nothing, so that reading its torch-free modules
(:mod:`.config`) does not load torch. Modules that import torchvision import
:mod:`phenodag.core.shared.torch_compat` first.
"""
