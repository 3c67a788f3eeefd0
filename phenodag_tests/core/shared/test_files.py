"""File helpers: content hashes and the lock that serialises the creation of shared stores."""

import fcntl
import hashlib
from pathlib import Path

import pytest

from phenodag.core.shared.files import file_lock, sha256_file


def test_sha256_file_reads_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 3000)
    assert sha256_file(path, chunk=1000) == hashlib.sha256(b"x" * 3000).hexdigest()


def test_file_lock_is_exclusive_while_held_and_released_after(tmp_path: Path) -> None:
    path = tmp_path / ".lock"
    with file_lock(path), open(path) as other, pytest.raises(BlockingIOError):
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    with open(path) as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again
