"""Decoding of instrument image exports into one-channel numpy arrays.

One function, :func:`decode_image`, is what every stage uses to read an image. TIFF
(8/16-bit, compressed or not) is read with tifffile, PNG and JPEG with Pillow;
``torchvision.io`` is not used (its C extension is unavailable with the CPU build of
torch here). RGB(A) exports of grey images reduce to one channel: when the colour
channels are equal the first one is kept exactly, otherwise the ITU-R 601 luma
(0.299 R + 0.587 G + 0.114 B, in float32) is taken and cast back to the input's dtype.
A colour JPEG (Incucyte exports its grey phase-contrast frames as RGB JPEG) is decoded
straight to its luma plane (Pillow's ``draft("L")``): JFIF's Y is that same ITU-R 601
luma, so a grey frame in three equal channels gives the same pixels as decoding the RGB,
about twice as fast; for a colour image it is the luma before chroma subsampling
(within a grey level or two of the luma of the decoded RGB).
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

TIFF_SUFFIXES = {".tif", ".tiff"}
PIL_SUFFIXES = {".png", ".jpg", ".jpeg"}
IMAGE_SUFFIXES = TIFF_SUFFIXES | PIL_SUFFIXES
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)
MAX_PIXELS = 50_000_000
"""Default pixel budget of one image (width x height): 9x a 2560x2160 CV8000 frame.

A header that declares more is refused before any pixel is decoded: a 10 KB
compressed TIFF can declare 100000 x 100000 pixels and ask for gigabytes.
"""
_BYTES_LITERAL = re.compile(r"""b(['"]).*?(?<!\\)\1""")


class ImageDecodeError(ValueError):
    """An image file could not be decoded; the message names the file and the cause."""


@dataclass(frozen=True)
class ImageInfo:
    """Shape and depth of a decoded image."""

    width: int
    height: int
    bit_depth: int


def safe_reason(exc: BaseException, limit: int = 160) -> str:
    """Describe a decoder's exception without echoing the file's bytes.

    Decoders quote the first bytes of a file they cannot read (``not a TIFF file
    b'root:x:0:0'``); those bytes may belong to any file a link points at, so bytes
    literals are replaced by ``<bytes>``, non-printable characters dropped and the text
    capped at ``limit`` characters.
    """
    text = _BYTES_LITERAL.sub("<bytes>", str(exc))
    text = "".join(c for c in text if c.isprintable())[:limit]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _tiff_info(page: tifffile.TiffPage) -> ImageInfo:
    depth = int(np.dtype(page.dtype).itemsize * 8) if page.dtype is not None else 0
    return ImageInfo(width=int(page.imagewidth), height=int(page.imagelength), bit_depth=depth)


def _pil_info(im: Image.Image) -> ImageInfo:
    depth = 16 if im.mode.startswith("I;16") else 32 if im.mode in ("I", "F") else 8
    return ImageInfo(width=int(im.size[0]), height=int(im.size[1]), bit_depth=depth)


def _regular(p: Path) -> None:
    """Raise unless ``p`` has a known image suffix and is a regular file (checked by ``stat``, never opened)."""
    suffix = p.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise ImageDecodeError(f"{p}: unknown image type {suffix!r}; expected one of {sorted(IMAGE_SUFFIXES)}")
    try:
        mode = p.stat().st_mode
    except OSError as exc:
        raise ImageDecodeError(f"{p}: cannot read ({safe_reason(exc)})") from None
    if not stat.S_ISREG(mode):
        raise ImageDecodeError(f"{p}: not a regular file; only regular files are read")


def _within_budget(p: Path, info: ImageInfo, max_pixels: int | None) -> ImageInfo:
    if max_pixels is not None and info.width * info.height > max_pixels:
        raise ImageDecodeError(
            f"{p}: declares {info.width}x{info.height} = {info.width * info.height} pixels, above the budget of "
            f"{max_pixels} (IngestConfig.max_pixels); refused before decoding"
        )
    return info


def read_header(path: str | Path, max_pixels: int | None = MAX_PIXELS) -> ImageInfo:
    """Read an image's size and bit depth from its header, without decoding pixels.

    Parameters
    ----------
    path
        An image file (see :func:`decode_image`); only regular files are opened, so a
        FIFO or a device named like an image never blocks the caller.
    max_pixels
        Refuse images that declare more than this many pixels (None: no limit).

    Raises
    ------
    ImageDecodeError
        If the file is not a regular file, its header is unreadable, or it declares
        more pixels than ``max_pixels``.
    """
    p = Path(path)
    _regular(p)
    try:
        if p.suffix.lower() in TIFF_SUFFIXES:
            with tifffile.TiffFile(p) as tf:
                info = _tiff_info(tf.pages.first)
        else:
            with Image.open(p) as im:
                info = _pil_info(im)
    except Exception as exc:  # decoders raise many types; report them all the same way
        raise ImageDecodeError(f"{p}: cannot read image header ({safe_reason(exc)})") from None
    return _within_budget(p, info, max_pixels)


def _to_grey(arr: np.ndarray, path: Path) -> np.ndarray:
    if arr.ndim == 2:
        return arr
    if arr.ndim == 3 and arr.shape[-1] in (3, 4):
        rgb = arr[..., :3]
        if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]):
            return np.ascontiguousarray(rgb[..., 0])
        luma = rgb.astype(np.float32) @ _LUMA
        if np.issubdtype(arr.dtype, np.integer):
            info = np.iinfo(arr.dtype)
            luma = np.clip(np.rint(luma), info.min, info.max)
        return luma.astype(arr.dtype)
    if arr.ndim == 3 and arr.shape[-1] == 2:  # grey + alpha
        return np.ascontiguousarray(arr[..., 0])
    raise ImageDecodeError(f"{path}: unsupported image shape {arr.shape}; expected one grey plane")


def decode_image(path: str | Path, max_pixels: int | None = MAX_PIXELS, jpeg_min_side: int | None = None) -> np.ndarray:
    """Read an image file as a 2-D array in its native dtype.

    Parameters
    ----------
    path
        A ``.tif``/``.tiff``, ``.png``, ``.jpg`` or ``.jpeg`` file. For multi-page
        TIFFs the first page is read.
    max_pixels
        Pixel budget checked on the header before decoding (see :func:`read_header`).
    jpeg_min_side
        Decode a JPEG at a reduced scale (1/2 to 1/8, in the DCT domain) whose sides stay
        at least this long; other formats ignore it. This changes the pixels (block
        averages instead of samples): an opt-in of the embedding preprocessing only
        (``Preprocess.jpeg_draft``), never used for ingestion.

    Returns
    -------
    numpy.ndarray
        Shape (height, width); uint8, uint16 or float32 as stored.

    Raises
    ------
    ImageDecodeError
        If the file is missing, not a regular file, truncated, over the pixel budget,
        of an unknown type or not one grey plane. The message never quotes the file's
        bytes (:func:`safe_reason`).
    """
    p = Path(path)
    _regular(p)
    try:  # one open: the header is checked against the budget before the pixels are decoded
        if p.suffix.lower() in TIFF_SUFFIXES:
            with tifffile.TiffFile(p) as tf:
                page = tf.pages.first
                _within_budget(p, _tiff_info(page), max_pixels)
                arr = page.asarray()
        else:
            with Image.open(p) as im:
                _within_budget(p, _pil_info(im), max_pixels)
                if im.format == "JPEG" and (jpeg_min_side or im.mode in ("RGB", "YCbCr")):
                    side = jpeg_min_side or max(im.size)
                    im.draft("L", (min(side, im.size[0]), min(side, im.size[1])))  # luma plane (module docstring)
                im.load()
                arr = np.asarray(im)
    except ImageDecodeError:
        raise
    except Exception as exc:  # decoders raise many types; report them all the same way
        raise ImageDecodeError(f"{p}: cannot decode image ({safe_reason(exc)})") from None
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
    return stretch(a, float(a.mean()), float(a.std()), sds)


def stretch(values: np.ndarray, mean: float, sd: float, sds: float = 2.0) -> np.ndarray:
    """Apply :func:`contrast_stretch` with a field's ``mean`` and ``sd`` (of its [0, 1] values) to ``values``.

    Pointwise, so it may run on a field's resampled pixels with its whole-field statistics.
    """
    if sd < 1e-8:
        return np.full(values.shape, 0.5, np.float32)
    return np.clip(np.float32(0.5) + (values - np.float32(mean)) / np.float32(2 * sds * sd), 0.0, 1.0).astype(
        np.float32, copy=False
    )


def unit_stats(arr: np.ndarray) -> tuple[float, float]:
    """Return the mean and standard deviation of ``to_unit_float(arr)`` without converting the image.

    Integer images are counted into a histogram of their levels (exact, in float64);
    float images are reduced directly.
    """
    if not np.issubdtype(arr.dtype, np.integer) or arr.dtype.itemsize > 2 or np.iinfo(arr.dtype).min < 0:
        a = to_unit_float(arr)
        return float(a.mean()), float(a.std())
    counts = np.bincount(arr.ravel()).astype(np.float64)
    levels = np.arange(counts.size, dtype=np.float64) / np.iinfo(arr.dtype).max
    n = counts.sum()
    mean = float(counts @ levels / n)
    return mean, float(np.sqrt(counts @ (levels - mean) ** 2 / n))
