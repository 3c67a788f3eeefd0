"""Reading a plate folder's files safely: which files may be opened, their headers, then their pixels.

- :func:`file_problem` admits only regular files; links are resolved and must stay
  inside the plate folder unless the plate allows otherwise. Nothing is opened.
- :func:`hash_and_decode` hashes every file and reads its header first; only new
  files within the pixel budget and of the plate's size and bit depth are decoded.
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phenodag.core.shared.files import sha256_file
from phenodag.core.shared.images import (
    IMAGE_SUFFIXES,
    MAX_PIXELS,
    ImageDecodeError,
    ImageInfo,
    decode_image,
    read_header,
)


def iter_image_files(folder: Path) -> Iterator[Path]:
    """Yield the image files below ``folder`` (recursively, sorted, hidden files skipped)."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in IMAGE_SUFFIXES:
                yield Path(root) / name


@dataclass(frozen=True)
class Read:
    """One candidate file after hashing: its sha256, header (or reused row) and any error."""

    sha256: str
    info: dict[str, Any] | None
    error: str | None
    reused: bool


def _hash_and_header(path: Path, reuse: dict[str, dict[str, Any]], max_pixels: int | None) -> Read:
    """Hash a file and read its header (an unchanged file reuses its previous row)."""
    try:
        digest = sha256_file(path)
    except OSError as exc:
        return Read("", None, f"{path}: cannot read ({type(exc).__name__})", False)
    prev = reuse.get(str(path))
    if prev is not None and prev["sha256"] == digest:
        return Read(digest, prev, None, True)
    try:
        info: ImageInfo = read_header(path, max_pixels)
    except ImageDecodeError as exc:
        return Read(digest, None, str(exc), False)
    return Read(digest, {"width": info.width, "height": info.height, "bit_depth": info.bit_depth}, None, False)


def _decode(path: Path, read: Read, max_pixels: int | None) -> Read:
    """Decode a new file fully (truncated data shows only here); reused rows pass through."""
    if read.reused or read.info is None:
        return read
    try:
        decode_image(path, max_pixels)
    except ImageDecodeError as exc:
        return Read(read.sha256, None, str(exc), False)
    return read


_FILE_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFDIR: "a folder",
}


def file_problem(path: Path, folder: Path, allow_outside_links: bool = False) -> tuple[str, str] | None:
    """Return (kind, reason) when ``path`` must not be opened, else None; nothing is read.

    Links are resolved: a dangling one, or one that leaves ``folder`` (unless
    ``allow_outside_links``), is refused with kind ``link``; anything but a regular
    file (FIFO, socket, device) with kind ``special``. The reason never names a link's
    target.
    """
    try:
        is_link = stat.S_ISLNK(os.lstat(path).st_mode)
        if is_link:
            target = path.resolve()
            if not target.exists():
                return "link", f"{path.name} is a dangling symbolic link"
            if not allow_outside_links and not target.is_relative_to(folder.resolve()):
                return "link", (
                    f"{path.name} is a symbolic link that resolves outside the plate folder "
                    "(set allow_outside_links: true in plate.yaml to accept such links)"
                )
        mode = os.stat(path).st_mode
    except (OSError, RuntimeError) as exc:
        return "special", f"{path.name}: cannot stat ({type(exc).__name__})"
    if not stat.S_ISREG(mode):
        what = _FILE_KINDS.get(stat.S_IFMT(mode), "not a regular file")
        return "special", f"{path.name} is {what}{' (through a link)' if is_link else ''}; only regular files are read"
    return None


def hash_and_decode(
    paths: list[Path],
    reuse: dict[str, dict[str, Any]],
    workers: int,
    image_size: tuple[int, int] | None = None,
    max_pixels: int | None = MAX_PIXELS,
) -> tuple[list[Read], tuple[int, int] | None, int | None]:
    """Hash every file and read its header; decode only new files of the plate's size and depth.

    Parameters
    ----------
    image_size
        The plate's (width, height) from ``plate.yaml``; by default the most common
        size among the headers.
    max_pixels
        Pixel budget per image, checked on the header.

    Returns
    -------
    reads, size, depth
        One :class:`Read` per file, and the plate's expected size and bit depth.
        Files off the size or depth keep their header and are not decoded.
    """
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        reads = list(pool.map(lambda p: _hash_and_header(p, reuse, max_pixels), paths))
        infos = [r.info for r in reads if r.info is not None]
        size = image_size or _most_common((i["width"], i["height"]) for i in infos)
        depth = _most_common(i["bit_depth"] for i in infos)

        def decode(pair: tuple[Path, Read]) -> Read:
            path, read = pair
            info = read.info or {}
            fits = (info.get("width"), info.get("height")) == size and info.get("bit_depth") == depth
            return _decode(path, read, max_pixels) if fits else read

        return list(pool.map(decode, zip(paths, reads, strict=True))), size, depth


def _most_common(values: Iterable[Any]) -> Any:
    counts = Counter(values)
    return counts.most_common(1)[0][0] if counts else None


def off_plate(info: dict[str, Any], size: tuple[int, int] | None, depth: int | None) -> tuple[str, str] | None:
    """(kind, reason) when an image's size or bit depth differs from the plate's."""
    if size is None or (info["width"], info["height"]) != size:
        shown = f"{size[0]}x{size[1]}" if size else "unknown"
        return "size", f"image is {info['width']}x{info['height']}, the plate's images are {shown}"
    if info["bit_depth"] != depth:
        return "bit_depth", f"image is {info['bit_depth']}-bit, the plate's images are {depth}-bit"
    return None
