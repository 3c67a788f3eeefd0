"""File helpers: content hashes and the lock that serialises the creation of shared stores."""

import hashlib
from pathlib import Path

import pytest
from filelock import FileLock, Timeout

from phenodag.core.shared.files import file_lock, sha256_file


def test_sha256_file_is_the_content_hash(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 3_000_000)  # more than one read buffer
    assert sha256_file(path) == hashlib.sha256(b"x" * 3_000_000).hexdigest()


def test_file_lock_is_exclusive_while_held_and_released_after(tmp_path: Path) -> None:
    path = tmp_path / ".lock"
    other = FileLock(str(path), is_singleton=False)
    with file_lock(path), pytest.raises(Timeout):
        other.acquire(timeout=0.1)
    with other.acquire(timeout=0.1):  # free again
        pass
