"""Decoding of instrument image exports into one-channel numpy arrays.

One function, :func:`decode_image`, is what every stage uses to read an image. TIFF
(8/16-bit, compressed or not) is read with tifffile, PNG and JPEG with Pillow;
``torchvision.io`` is not used (its C extension is unavailable with the CPU build of
torch here). RGB(A) exports of grey images reduce to one channel: when the colour
channels are equal the first one is kept exactly, otherwise the ITU-R 601 luma
(0.299 R + 0.587 G + 0.114 B) is taken and cast back to the input's dtype.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

TIFF_SUFFIXES = {".tif", ".tiff"}
PIL_SUFFIXES = {".png", ".jpg", ".jpeg"}
IMAGE_SUFFIXES = TIFF_SUFFIXES | PIL_SUFFIXES
_LUMA = np.array([0.299, 0.587, 0.114])


class ImageDecodeError(ValueError):
    """An image file could not be decoded; the message names the file and the cause."""


@dataclass(frozen=True)
class ImageInfo:
    """Shape and depth of a decoded image."""

    width: int
    height: int
    bit_depth: int


def _to_grey(arr: np.ndarray, path: Path) -> np.ndarray:
    if arr.ndim == 2:
        return arr
    if arr.ndim == 3 and arr.shape[-1] in (3, 4):
        rgb = arr[..., :3]
        if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]):
            return np.ascontiguousarray(rgb[..., 0])
        luma = rgb.astype(np.float64) @ _LUMA
        if np.issubdtype(arr.dtype, np.integer):
            info = np.iinfo(arr.dtype)
            luma = np.clip(np.rint(luma), info.min, info.max)
        return luma.astype(arr.dtype)
    if arr.ndim == 3 and arr.shape[-1] == 2:  # grey + alpha
        return np.ascontiguousarray(arr[..., 0])
    raise ImageDecodeError(f"{path}: unsupported image shape {arr.shape}; expected one grey plane")


def decode_image(path: str | Path) -> np.ndarray:
    """Read an image file as a 2-D array in its native dtype.

    Parameters
    ----------
    path
        A ``.tif``/``.tiff``, ``.png``, ``.jpg`` or ``.jpeg`` file. For multi-page
        TIFFs the first page is read.

    Returns
    -------
    numpy.ndarray
        Shape (height, width); uint8, uint16 or float32 as stored.

    Raises
    ------
    ImageDecodeError
        If the file is missing, truncated, of an unknown type or not one grey plane.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    try:
        if suffix in TIFF_SUFFIXES:
            arr = tifffile.imread(p, key=0)
        elif suffix in PIL_SUFFIXES:
            with Image.open(p) as im:
                im.load()
                arr = np.asarray(im)
        else:
            raise ImageDecodeError(f"{p}: unknown image type {suffix!r}; expected one of {sorted(IMAGE_SUFFIXES)}")
    except ImageDecodeError:
        raise
    except Exception as exc:  # decoders raise many types; report them all the same way
        raise ImageDecodeError(f"{p}: cannot decode image ({type(exc).__name__}: {exc})") from exc
    arr = _to_grey(np.asarray(arr), p)
    if arr.size == 0:
        raise ImageDecodeError(f"{p}: image has no pixels")
    return arr


def image_info(arr: np.ndarray) -> ImageInfo:
    """Return width, height and bit depth (8, 16, 32 from the dtype) of a decoded image."""
    height, width = arr.shape
    return ImageInfo(width=int(width), height=int(height), bit_depth=int(arr.dtype.itemsize * 8))


def to_unit_float(arr: np.ndarray) -> np.ndarray:
    """Scale an integer image to float32 in [0, 1] by its dtype's range (float images pass through).

    Parameters
    ----------
    arr
        uint8 images are divided by 255, uint16 by 65535, as instruments store them.

    Returns
    -------
    numpy.ndarray
        float32 array of the same shape.
    """
    if np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.float32) / np.float32(np.iinfo(arr.dtype).max)
    return arr.astype(np.float32, copy=False)


def contrast_stretch(arr: np.ndarray, sds: float = 2.0) -> np.ndarray:
    """Centre an image on 0.5 and scale ``sds`` standard deviations to the edges of [0, 1] (clipped).

    Phase-contrast frames sit near mid-grey with a few percent of contrast, where a
    sigmoid autoencoder's BCE gradients are tiny and training stalls at a flat-grey
    reconstruction; stretched, the same structure spans the output range.

    Parameters
    ----------
    arr
        A 2-D image in [0, 1] (see :func:`to_unit_float`).
    sds
        Standard deviations that reach 0 and 1.

    Returns
    -------
    numpy.ndarray
        float32 in [0, 1]; a flat image becomes uniform 0.5.
    """
    a = arr.astype(np.float32, copy=False)
    sd = float(a.std())
    if sd < 1e-8:
        return np.full_like(a, 0.5)
    return np.clip(0.5 + (a - float(a.mean())) / (2 * sds * sd), 0.0, 1.0).astype(np.float32)
