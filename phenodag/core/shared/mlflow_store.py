"""Point MLflow at a phenodag home's store, creating a new SQLite store once and in one place."""

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
