"""The lens stage (pheno-ml section 4.5): an α-regularised image-to-image network, importance maps, corrections.

Modules: :mod:`.config` (torch-free), :mod:`.data` (images and the well split),
:mod:`.classifier` (the frozen drug classifier), :mod:`.lens` (loss and training),
:mod:`.maps` (importance maps against the simulator's masks), :mod:`.metrics`,
:mod:`.corrections` (mined cases), :mod:`.run` (the stage end to end), :mod:`.figures`.
"""

from phenodag.core.shared.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, __file__)
