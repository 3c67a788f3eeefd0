"""Batched training augmentations for grey images: flip, affine, brightness/contrast, blur, noise.

Each image of a (M, 1, H, W) batch draws its own parameters, all in one pass of
tensor operations (torchvision's v2 transforms draw one set per call, so per-image
draws would need a Python loop over images). Defaults follow common microscopy
practice: any flip or quarter turn (phase-contrast fields have no orientation),
small rotations/scalings/shifts, ±20 % brightness and contrast, a Gaussian blur of
σ ≤ 1 px on half the images, and Gaussian noise of sd ≤ 0.03 (images are
standardised per image, see :mod:`.data`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Augment:
    """Augmentation strengths; ``Augment(enabled=False)`` is the identity."""

    enabled: bool = True
    max_rotate_deg: float = 15.0
    max_scale: float = 0.1
    max_shift: float = 0.05
    brightness: float = 0.2
    contrast: float = 0.2
    blur_p: float = 0.5
    max_blur_sigma: float = 1.0
    max_noise_sd: float = 0.03

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Augment a (M, C, H, W) batch, each image with its own random draw."""
        if not self.enabled or x.shape[0] == 0:
            return x
        g = generator
        m = x.shape[0]

        def u(lo: float, hi: float) -> torch.Tensor:
            return torch.rand(m, generator=g) * (hi - lo) + lo

        x = _dihedral(x, torch.randint(0, 8, (m,), generator=g))
        angle = u(-self.max_rotate_deg, self.max_rotate_deg) * math.pi / 180
        scale = u(1 - self.max_scale, 1 + self.max_scale)
        shift = torch.stack([u(-self.max_shift, self.max_shift), u(-self.max_shift, self.max_shift)], 1) * 2
        cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
        theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
        grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        c = u(1 - self.contrast, 1 + self.contrast).view(-1, 1, 1, 1)
        b = u(-self.brightness, self.brightness).view(-1, 1, 1, 1)
        x = (x - mean) * c + mean + b
        blur = torch.rand(m, generator=g) < self.blur_p
        if bool(blur.any()):
            x = x.clone()
            x[blur] = gaussian_blur(x[blur], u(0.1, self.max_blur_sigma)[blur])
        return x + torch.randn(x.shape, generator=g) * u(0, self.max_noise_sd).view(-1, 1, 1, 1)


def _dihedral(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Apply one of the 8 flips/quarter turns per image (``k`` in 0..7; square images only for odd turns)."""
    out = x.clone()
    for code in range(8):
        sel = k == code
        if not bool(sel.any()):
            continue
        y = x[sel]
        if code >= 4:
            y = y.flip(-1)
        if x.shape[-1] == x.shape[-2]:
            y = torch.rot90(y, code % 4, dims=(-2, -1))
        elif code % 2:
            y = y.flip(-2)
        out[sel] = y
    return out


def gaussian_blur(x: torch.Tensor, sigma: torch.Tensor, radius: int | None = None) -> torch.Tensor:
    """Blur each image of (M, C, H, W) with its own Gaussian ``sigma`` (M,), separable, reflect-padded.

    The kernel has ``2 * radius + 1`` taps; by default ``radius`` is 3 sigma (at least 1).
    """
    radius = radius if radius is not None else max(1, math.ceil(3 * float(sigma.max())))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype)
    k = torch.exp(-(t[None] ** 2) / (2 * sigma[:, None].to(x.dtype) ** 2))
    k = k / k.sum(dim=1, keepdim=True)  # (M, L)
    m, c, h, w = x.shape
    y = x.reshape(1, m * c, h, w)
    kk = k.repeat_interleave(c, dim=0)
    y = F.conv2d(F.pad(y, (radius, radius, 0, 0), mode="reflect"), kk.view(m * c, 1, 1, -1), groups=m * c)
    y = F.conv2d(F.pad(y, (0, 0, radius, radius), mode="reflect"), kk.view(m * c, 1, -1, 1), groups=m * c)
    return y.reshape(m, c, h, w)
