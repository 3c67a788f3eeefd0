"""Helpers for tests that start real Dagster processes; every test in this folder is marked ``e2e``."""

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from phenodag_tests.s3 import S3, local_s3

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder ``e2e`` (servers, daemons, clusters, the demo): ``-m "not e2e"`` skips them."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.e2e)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process started with ``start_new_session=True`` and its children: TERM, then KILL after 30 s."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture(scope="session")
def s3() -> Iterator[S3]:
    """A local S3 API (moto) on loopback with one bucket, shared by the object-store tests."""
    with local_s3() as server:
        yield server
