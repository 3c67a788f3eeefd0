"""Helpers for tests that start real Dagster processes."""

import os
import signal
import subprocess


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process started with ``start_new_session=True`` and its children: TERM, then KILL after 30 s."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
