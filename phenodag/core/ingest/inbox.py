"""The inbox: plate folders that instruments drop, and when each one is complete.

A plate folder is complete when its marker file (default ``COMPLETE``) exists. Its
fingerprint (number of files, total bytes, newest modification time) changes when
files are added, so a plate that grows is seen again and re-ingested; ingestion
itself only decodes the new files.

Each folder is judged on its own: a folder whose ``plate.yaml`` is refused is still
listed under its folder name (its ingestion files the rejection in ``quarantine``),
and a folder that cannot be read at all is listed in ``InboxScan.refused`` with its
reason; neither stops the scan of the other folders.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from phenodag.core.ingest.platemap import PlateError, read_plate_config, validate_plate_id

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Arrival:
    """A complete plate folder in the inbox.

    ``problem`` is set when the folder's ``plate.yaml`` was refused; the plate then
    goes by its folder name, so that ingestion files the rejection in ``quarantine``.
    """

    plate_id: str
    path: Path
    fingerprint: str
    problem: str | None = None


@dataclass(frozen=True)
class InboxScan:
    """Complete plates with safe ids, and folders whose plate id was refused."""

    plates: list[Arrival]
    refused: list[PlateError]


def fingerprint(folder: Path) -> str:
    """Return a short digest of the folder's file list, sizes and modification times.

    Entries are ``lstat``-ed, so a dangling link or a FIFO changes the digest without
    being followed or opened.
    """
    h = hashlib.sha256()
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            st = os.lstat(Path(root) / name)
            rel = os.path.relpath(Path(root) / name, folder)
            h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def scan_inbox(inbox: Path, marker: str = "COMPLETE") -> InboxScan:
    """List the complete plate folders of ``inbox``, sorted by plate id.

    Parameters
    ----------
    inbox
        Folder holding one sub-folder per plate; absent means empty.
    marker
        Name of the file that marks a folder complete.

    Returns
    -------
    InboxScan
        Complete plates (including folders whose ``plate.yaml`` is refused, under
        their folder name), and the errors of complete folders whose name is no safe
        plate id either, so that they cannot become partitions.
    """
    plates: list[Arrival] = []
    refused: list[PlateError] = []
    if not inbox.is_dir():
        return InboxScan(plates, refused)
    for folder in sorted(p for p in inbox.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not (folder / marker).exists():
            continue
        try:
            plates.append(arrival(folder))
        except PlateError as exc:
            refused.append(exc)
        except Exception as exc:  # one unreadable folder must never stop the scan of the others
            logger.warning("inbox folder %s cannot be read: %s: %s", folder, type(exc).__name__, exc)
            refused.append(PlateError(folder, f"cannot read the folder ({type(exc).__name__}: {exc})"))
    return InboxScan(plates, refused)


def arrival(folder: Path) -> Arrival:
    """Return the plate id and fingerprint of one plate folder (the inbox sensor's and the CLI's view).

    The id is ``plate.yaml``'s ``plate_id`` or the folder name; a refused
    ``plate.yaml`` leaves the folder name and sets ``problem``, so that ingestion
    files the rejection under that id.

    Raises
    ------
    PlateError
        If neither ``plate.yaml`` nor the folder name gives a safe plate id.
    """
    try:
        plate_id, problem = read_plate_config(folder).plate_id, None
    except PlateError as exc:
        try:
            plate_id, problem = validate_plate_id(folder.name, folder), str(exc)
        except PlateError:
            raise exc from None
    return Arrival(plate_id, folder.resolve(), fingerprint(folder), problem)


def pending(arrivals: list[Arrival], seen: Mapping[str, str | None]) -> list[Arrival]:
    """Return the arrivals whose fingerprint differs from the one ``seen`` last (new or grown plates)."""
    return [a for a in arrivals if seen.get(a.plate_id) != a.fingerprint]


def find_plate_folder(inbox: Path, plate_id: str, marker: str = "COMPLETE") -> Path | None:
    """Return the complete inbox folder whose plate id is ``plate_id`` (folder name or ``plate.yaml``), or None.

    Only folders of the inbox are considered, so an id such as ``../x`` never names a
    path outside it.
    """
    for found in scan_inbox(inbox, marker).plates:
        if found.plate_id == plate_id:
            return found.path
    return None
