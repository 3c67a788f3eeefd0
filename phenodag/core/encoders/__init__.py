"""Encoders: the pheno-ml ConvAE and torchvision networks behind one registry.

This package's ``__init__`` stays free of torch, so that code which only needs the
encoder names (the Dagster partitions) loads fast; :mod:`.registry` imports torch and
makes torchvision importable (:mod:`phenodag.core.torch_compat`).
"""

ENCODER_NAMES = ("convae", "convae-phenoml", "resnet18", "resnet50", "vit_b_16")

__all__ = ["ENCODER_NAMES"]
