"""Point MLflow at a phenodag home's store, creating a new SQLite store once and in one place.

The store is the home's SQLite file by default, or any tracking server
(``MLFLOW_TRACKING_URI=http://mlflow:5000``): an ``mlflow server`` shared by every run,
with its artifacts wherever the server keeps them (``--artifacts-destination
s3://bucket/mlartifacts``; clients upload and download through the server and need no
credentials of their own).
"""

from __future__ import annotations

import logging
from pathlib import Path

from phenodag.core.shared.files import file_lock

logger = logging.getLogger(__name__)
_READY: set[str] = set()
"""Tracking URIs whose store this process has created or found."""


def use_store(tracking_uri: str, artifact_root: str | Path) -> None:
    """Point MLflow tracking and its model registry at ``tracking_uri`` (every process that reads or logs).

    A new SQLite store is created here, under a file lock beside it, with its
    ``Default`` experiment's artifacts under ``artifact_root``. Left to MLflow, two
    processes starting at once both create and migrate the tables (one fails with
    ``duplicate column name``), and the ``Default`` experiment's artifacts land in
    ``./mlruns`` of whatever directory the first run started in. A process that never
    calls this reads MLflow's own default store (``./mlflow.db``), not the home's.
    """
    import mlflow

    if tracking_uri.startswith("sqlite:") and tracking_uri not in _READY:
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        root = Path(artifact_root)
        root.mkdir(parents=True, exist_ok=True)
        with file_lock(root / ".mlflow-init.lock"):
            SqlAlchemyStore(tracking_uri, root.as_uri())
        _READY.add(tracking_uri)
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)


def is_server(tracking_uri: str) -> bool:
    """Tell whether ``tracking_uri`` is a tracking server (``http(s)://``) rather than a local store."""
    return tracking_uri.startswith(("http://", "https://"))


def experiment_artifact_location(tracking_uri: str, artifact_root: str | Path) -> str | None:
    """Artifact location of an experiment created here: the home's folder for a local store, the server's own otherwise.

    A server decides where artifacts go (its ``--artifacts-destination``); a local folder
    of this machine would be wrong for every other machine that reads the run.
    """
    if is_server(tracking_uri):
        return None
    root = Path(artifact_root)
    root.mkdir(parents=True, exist_ok=True)
    return root.as_uri()
