"""Multi-crop strategies: one full view plus N larger and M smaller random-resized crops.

A strategy is written ``1f+{N}l+{M}s`` (the paper's best is ``1f+1l+3s``). Every view
is resized to ``size`` (128) with antialiasing, flipped horizontally with p = 0.5 and
Gaussian-blurred with p = 0.5 (sigma 0.1-2.0, kernel 5). Crop parameters are drawn
from a numpy generator seeded by (seed, epoch, image index), so the views of an
image do not depend on worker processes or batch order.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

import numpy as np
import torch

import phenodag.core.shared.torch_compat  # noqa: F401  (torchvision is imported lazily below, after this)

_NAME = re.compile(r"^1f\+(\d+)l\+(\d+)s$")


@dataclass(frozen=True)
class CropStrategy:
    """One full view, ``n_large`` crops of area fraction ``large_scale``, ``n_small`` of ``small_scale``."""

    n_large: int = 1
    n_small: int = 3
    large_scale: tuple[float, float] = (0.4, 1.0)
    small_scale: tuple[float, float] = (0.05, 0.4)
    ratio: tuple[float, float] = (3 / 4, 4 / 3)
    size: int = 128
    flip_p: float = 0.5
    blur_p: float = 0.5
    blur_sigma: tuple[float, float] = (0.1, 2.0)

    @property
    def name(self) -> str:
        """``1f+{N}l+{M}s``."""
        return f"1f+{self.n_large}l+{self.n_small}s"

    @property
    def label(self) -> str:
        """The strategy in words: ``1 full + 1 large + 3 small crops``."""
        return f"1 full + {self.n_large} large + {self.n_small} small crops"

    @property
    def n_views(self) -> int:
        """Views per image, the full view included."""
        return 1 + self.n_large + self.n_small

    @classmethod
    def parse(cls, name: str, **kwargs: object) -> CropStrategy:
        """Build a strategy from its name, e.g. ``1f+1l+3s``.

        Raises
        ------
        ValueError
            If the name is not of the form ``1f+{N}l+{M}s``.
        """
        m = _NAME.match(name.strip())
        if not m:
            raise ValueError(f"crop strategy {name!r}; expected '1f+<N>l+<M>s', e.g. '1f+1l+3s'")
        return cls(n_large=int(m[1]), n_small=int(m[2]), **kwargs)  # type: ignore[arg-type]


def strategy_grid(min_views: int = 2, max_views: int = 5) -> list[CropStrategy]:
    """All strategies with ``min_views`` to ``max_views`` views (the paper compared 12 of these)."""
    return [
        CropStrategy(n_large=n, n_small=m)
        for n, m in itertools.product(range(max_views), repeat=2)
        if min_views <= 1 + n + m <= max_views
    ]


def _box(
    rng: np.random.Generator, h: int, w: int, scale: tuple[float, float], ratio: tuple[float, float]
) -> tuple[int, int, int, int]:
    """Sample (top, left, height, width) of a crop covering ``scale`` of the area at aspect ``ratio``."""
    area = h * w
    for _ in range(10):
        target = area * rng.uniform(*scale)
        aspect = math.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1])))
        cw, ch = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
        if 0 < cw <= w and 0 < ch <= h:
            return int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1)), ch, cw
    side = min(h, w)
    return (h - side) // 2, (w - side) // 2, side, side


def make_views(image: torch.Tensor, strategy: CropStrategy, rng: np.random.Generator) -> torch.Tensor:
    """Return the views of one image.

    Parameters
    ----------
    image
        (1, H, W) float tensor in [0, 1].
    strategy
        The crop strategy.
    rng
        Source of all random choices.

    Returns
    -------
    torch.Tensor
        (n_views, 1, size, size); the full view first, then large, then small crops.
    """
    from torchvision.transforms.v2 import functional as TF

    _, h, w = image.shape
    boxes = [(0, 0, h, w)]
    boxes += [_box(rng, h, w, strategy.large_scale, strategy.ratio) for _ in range(strategy.n_large)]
    boxes += [_box(rng, h, w, strategy.small_scale, strategy.ratio) for _ in range(strategy.n_small)]
    views = []
    for top, left, ch, cw in boxes:
        v = TF.resized_crop(image, top, left, ch, cw, [strategy.size, strategy.size], antialias=True)
        if rng.uniform() < strategy.flip_p:
            v = TF.horizontal_flip(v)
        if rng.uniform() < strategy.blur_p:
            v = TF.gaussian_blur(v, [5, 5], [float(rng.uniform(*strategy.blur_sigma))])
        views.append(v)
    return torch.stack(views).clamp_(0.0, 1.0)
