"""File helpers every stage shares: a file's sha256 and an inter-process lock."""

from __future__ import annotations

import hashlib
from pathlib import Path

from filelock import FileLock


def sha256_file(path: str | Path) -> str:
    """Return the hex sha256 of a file (64 hex digits), read by :func:`hashlib.file_digest`."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def file_lock(path: str | Path) -> FileLock:
    """Return an exclusive lock on ``path`` (created if absent) to hold in a ``with`` block.

    Processes that first create a shared SQLite store (the Dagster instance, the MLflow
    database) take it so that only one creates and migrates the tables. ``filelock``
    (``flock`` on POSIX, ``msvcrt`` on Windows) replaces a hand-written ``fcntl`` lock.
    """
    return FileLock(str(path))
