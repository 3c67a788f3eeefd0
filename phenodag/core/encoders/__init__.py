"""Encoders: the pheno-ml ConvAE and torchvision networks behind one registry.

Importing this package first makes torchvision importable (:mod:`phenodag.core.torch_compat`).
"""

import phenodag.core.torch_compat  # noqa: F401  (must run before any torchvision import)
