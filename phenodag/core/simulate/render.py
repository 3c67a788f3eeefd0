"""Rendering a population as a phase-contrast image, vectorised over cells.

Every cell is evaluated on a square patch around its centre in one array operation
(shape ``(cells, P, P)``) and scattered into the image with ``np.bincount``. A cell's
outline is an ellipse (elongation) modulated by shape harmonics k = 3..5 (irregular,
polygonal bodies). Phase-contrast look, in grey levels of an 8-bit image:

- interior slightly darker than the background, with a textured cytoplasm;
- a dark line just inside the edge and a bright halo just outside it;
- a dark nucleus blob and dark granules;
- rounded cells (mitotic, dying) as bright thick rings; dying cells darker and granular;
- debris as small bright-and-dark specks;
- uneven illumination (a smooth gradient per field), optics blur and sensor noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
from scipy.ndimage import gaussian_filter

from phenodag.core.simulate.design import CellLine
from phenodag.core.simulate.population import ADHERENT, DYING, Population

BACKGROUND = 128.0
CONTRAST = 2.2  # scales every cell, granule and debris term; matched to the grey-level spread of real frames
NOISE_SD = 1.5
MAX_HALF = 48
PATCH_STEP = 8
MASK_BACKGROUND, MASK_CELL, MASK_SIGNATURE = 0, 1, 2
MASK_EXTENT = 1.15  # a cell's mask reaches past its edge line to the halo (d = 1 is the outline)


@dataclass(frozen=True)
class Look:
    """How a population looks at one time: response and signature effects on morphology."""

    enlarge: float = 1.0
    flatten: float = 0.0
    signature_kind: str | None = None
    signature_weight: float = 0.0
    signature_angle: float = 0.0

    def sig(self, kind: str) -> float:
        """Return the signature weight if the signature is of ``kind``, else 0."""
        return self.signature_weight if self.signature_kind == kind else 0.0


def field_background(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the field's illumination (smooth, uneven) and cytoplasm texture (smooth noise)."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    gx, gy, curv = rng.normal(0, 8.0), rng.normal(0, 8.0), rng.uniform(-10.0, 4.0)
    illum = BACKGROUND + gx * (xx - 0.5) + gy * (yy - 0.5) + curv * ((xx - 0.5) ** 2 + (yy - 0.5) ** 2)
    texture = gaussian_filter(rng.normal(0, 1, (size, size)), 1.2, mode="wrap")
    texture /= texture.std() + 1e-9
    return illum, texture


def _scatter(size: int, flat_idx: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.bincount(flat_idx.ravel(), weights=values.ravel(), minlength=size * size).reshape(size, size)


def _patches(size: int, x: np.ndarray, y: np.ndarray, half: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return pixel indices and offsets (dx, dy) of patches around each centre (periodic field)."""
    off = np.arange(-half, half + 1)
    ix, iy = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    px = (ix[:, None, None] + off[None, None, :]) % size
    py = (iy[:, None, None] + off[None, :, None]) % size
    dx = off[None, None, :] + 0.5 - (x - ix)[:, None, None]
    dy = off[None, :, None] + 0.5 - (y - iy)[:, None, None]
    return py * size + px, dx, dy


def _dots(size: int, x: np.ndarray, y: np.ndarray, amp: np.ndarray, sigma: float) -> np.ndarray:
    if x.size == 0:
        return np.zeros((size, size))
    flat, dx, dy = _patches(size, x, y, 2)
    return _scatter(size, flat, amp[:, None, None] * np.exp(-(dx**2 + dy**2) / (2 * sigma**2)))


@dataclass(frozen=True)
class _Cells:
    """Per-cell geometry and phase-contrast weights of one frame (arrays of one value per cell)."""

    x: np.ndarray
    y: np.ndarray
    radius: np.ndarray
    elong: np.ndarray
    angle: np.ndarray
    amp: np.ndarray
    phase: np.ndarray
    nuc_r: np.ndarray
    nuc_dx: np.ndarray
    nuc_dy: np.ndarray
    w_body: np.ndarray
    w_edge: np.ndarray
    w_halo: np.ndarray
    w_nuc: np.ndarray
    adherent: np.ndarray

    def take(self, index: np.ndarray) -> _Cells:
        """Return the cells at ``index``."""
        return _Cells(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


def _half(cells: _Cells) -> np.ndarray:
    """Half side of each cell's patch: past its farthest outline point and halo, at most :data:`MAX_HALF`."""
    extent = cells.radius * (1 + cells.elong) * (1 + cells.amp.sum(axis=1))
    return np.minimum(MAX_HALF, np.ceil(extent * 1.3) + 2).astype(np.int64)


def _draw_cells(size: int, cells: _Cells) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scatter every cell into (size, size) images: grey contribution, adherent body, mask, signature mask.

    Cells are drawn in groups of similar size, each on patches of its own largest
    half side (:data:`PATCH_STEP` px steps), so a frame of small rounded cells and a few
    large flat ones does not evaluate every cell on the largest cell's patch; a pixel
    outside a cell's patch is beyond its halo, where every term is zero to float precision.
    """
    half = _half(cells)
    bucket = np.minimum(MAX_HALF, -(-half // PATCH_STEP) * PATCH_STEP)
    out = [np.zeros((size, size)) for _ in range(4)]
    for h in np.unique(bucket):
        part = cells.take(np.flatnonzero(bucket == h))
        for acc, term in zip(out, _cell_terms(size, part, int(h)), strict=True):
            acc += term
    return out[0], out[1], out[2], out[3]


def _cell_terms(size: int, c: _Cells, half: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the four images of :func:`_draw_cells` for cells drawn on patches of half side ``half``."""
    flat, dx, dy = _patches(size, c.x, c.y, half)
    ca, sa = np.cos(c.angle)[:, None, None], np.sin(c.angle)[:, None, None]
    u, v = dx * ca + dy * sa, -dx * sa + dy * ca
    rho = np.hypot(u, v) + 1e-6
    cos, sin = u / rho, v / rho
    a = (c.radius * (1 + c.elong))[:, None, None]
    b = (c.radius / (1 + c.elong))[:, None, None]
    r_edge = a * b / np.sqrt((b * cos) ** 2 + (a * sin) ** 2)
    z = (cos + 1j * sin).astype(np.complex64)
    zk = z * z
    shape = np.ones_like(rho)
    for k in range(c.amp.shape[1]):
        zk = zk * z  # z^(k+3)
        rot = np.exp(1j * c.phase[:, k])[:, None, None]
        shape += c.amp[:, k][:, None, None] * (zk * rot).real
    d = rho / (r_edge * shape)
    body = np.clip((1.0 - d) / 0.1 + 0.5, 0.0, 1.0)
    edge = np.exp(-(((d - 0.96) / 0.06) ** 2))
    halo = np.exp(-(((d - 1.08) / 0.07) ** 2))
    dn = np.hypot(u - c.nuc_dx[:, None, None], v - c.nuc_dy[:, None, None]) / c.nuc_r[:, None, None]
    nucleus = np.clip((1.0 - dn) / 0.25 + 0.5, 0.0, 1.0)
    contrib = (
        c.w_body[:, None, None] * body
        + c.w_edge[:, None, None] * edge
        + c.w_halo[:, None, None] * halo
        + c.w_nuc[:, None, None] * nucleus
    )
    inside = d < MASK_EXTENT
    adherent = c.adherent[:, None, None]
    return (
        _scatter(size, flat, contrib),
        _scatter(size, flat, body * adherent),
        _scatter(size, flat, inside),
        _scatter(size, flat, inside & adherent),
    )


def _circ_blend(angle: np.ndarray, target: float, w: float) -> np.ndarray:
    """Pull axial angles (mod π) towards ``target`` by weight ``w`` in [0, 1]."""
    z = (1 - w) * np.exp(2j * angle) + w * np.exp(2j * target)
    return (np.angle(z) / 2) % math.pi


def render(
    pop: Population,
    line: CellLine,
    look: Look,
    illum: np.ndarray,
    texture: np.ndarray,
    rng: np.random.Generator,
    mask_out: np.ndarray | None = None,
) -> np.ndarray:
    """Render one frame as float grey levels on the 8-bit scale (background ≈ 128).

    Parameters
    ----------
    pop
        The field's cells at the imaging time.
    line
        Cell line (texture strength).
    look
        Response and signature effects at this time.
    illum, texture
        The field's fixed illumination and cytoplasm texture (:func:`field_background`).
    rng
        Noise source of this frame.
    mask_out
        Optional (size, size) uint8 array filled with the frame's truth mask:
        :data:`MASK_BACKGROUND`, :data:`MASK_CELL` (any cell, outline and halo included)
        or :data:`MASK_SIGNATURE` (an adherent cell that expresses the compound's
        signature at this time; the signature changes adherent cells only).

    Returns
    -------
    numpy.ndarray
        float64 image, not yet clipped or quantised.
    """
    size = illum.shape[0]
    img = illum.copy()
    n = pop.n
    coverage = np.zeros((size, size))
    if n:
        rounded = pop.state != ADHERENT
        dying = pop.state == DYING
        radius = pop.radius * look.enlarge * (1 + 0.25 * look.sig("size"))
        radius = np.where(rounded, 0.6 * pop.radius, radius)
        elong = np.clip(pop.elong * (1 - 0.5 * look.flatten) + 0.5 * look.sig("elongation"), 0.0, 1.5)
        elong = np.where(rounded, 0.05, elong)
        angle = _circ_blend(pop.angle, look.signature_angle, min(abs(look.sig("alignment")), 1.0))
        amp = np.where(rounded[:, None], 0.03, pop.harm_amp)
        flat_w = 1.0 - 0.6 * look.flatten
        cells = _Cells(
            x=pop.x,
            y=pop.y,
            radius=radius,
            elong=elong,
            angle=angle,
            amp=amp,
            phase=pop.harm_phase,
            nuc_r=pop.nuc_r * (1 + 0.5 * look.sig("nucleus")),
            nuc_dx=pop.nuc_dx,
            nuc_dy=pop.nuc_dy,
            w_body=np.where(rounded, np.where(dying, -14.0, 16.0), -4.0 * flat_w),
            w_edge=np.where(rounded, -10.0, -20.0 * flat_w),
            w_halo=np.where(rounded, 75.0, 48.0 * flat_w * (1 + 0.6 * look.sig("halo"))),
            w_nuc=np.where(rounded, 0.0, -12.0 * flat_w),
            adherent=~rounded,
        )
        contrib, body, inside, expressing = _draw_cells(size, cells)
        img += CONTRAST * contrib
        if mask_out is not None:
            mask_out[...] = np.where(inside > 0, MASK_CELL, MASK_BACKGROUND)
            if look.signature_weight != 0.0:
                mask_out[expressing > 0] = MASK_SIGNATURE
        coverage = np.minimum(body, 1.0)

        gran_n = np.round(granules_shown(line, look) * np.ones(n)).astype(int)
        gran_n = np.where(dying, pop.gran_rho.shape[1], gran_n)
        show = np.arange(pop.gran_rho.shape[1])[None, :] < gran_n[:, None]
        g_r = pop.gran_rho * np.where(rounded, 0.6 * pop.radius, radius)[:, None]
        gx = (pop.x[:, None] + g_r * np.cos(pop.gran_theta))[show]
        gy = (pop.y[:, None] + g_r * np.sin(pop.gran_theta))[show]
        g_amp = np.where(dying[:, None], -38.0, -24.0 * flat_w) * np.ones_like(pop.gran_rho)
        img += CONTRAST * _dots(size, gx % size, gy % size, g_amp[show], 0.8)
    img += CONTRAST * coverage * texture * 4.0 * (0.5 + line.granularity)
    if pop.debris_x.size:
        sign = np.where(rng.uniform(size=pop.debris_x.size) < 0.5, -35.0, 45.0)
        img += CONTRAST * _dots(size, pop.debris_x, pop.debris_y, sign * pop.debris_s, 0.7)
    img = gaussian_filter(img, 0.6, mode="wrap")
    img += rng.normal(0.0, NOISE_SD, img.shape)
    return img


def granules_shown(line: CellLine, look: Look) -> float:
    """How many granules an adherent cell shows (cell line granularity, granularity signature)."""
    return float(np.clip(10.0 * line.granularity * (1 + look.sig("granularity")), 0, 12))


def quantise(img: np.ndarray, bit_depth: int) -> np.ndarray:
    """Clip and convert a rendered frame to uint8, or to uint16 scaled like a camera (x256)."""
    if bit_depth == 8:
        return np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return np.clip(np.rint(img * 256.0), 0, 65535).astype(np.uint16)
