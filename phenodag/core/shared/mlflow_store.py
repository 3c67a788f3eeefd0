"""Point MLflow at a phenodag home's store, creating a new SQLite store once and in one place.

The store is the home's SQLite file by default, or any tracking server
(``MLFLOW_TRACKING_URI=http://mlflow:5000``): an ``mlflow server`` shared by every run,
with its artifacts wherever the server keeps them (``--artifacts-destination
s3://bucket/mlartifacts``; clients upload and download through the server and need no
credentials of their own).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from phenodag.core.shared.files import file_lock

logger = logging.getLogger(__name__)
KIND_TAG = "mlflow.experimentKind"
EXPERIMENT_KIND = "custom_model_development"
"""MLflow 3's experiment kind for model training: its UI then opens an experiment on the runs table and
model comparison, not on the GenAI view (traces, token usage)."""
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


def experiment_id(name: str, tracking_uri: str, artifact_root: str | Path) -> str:
    """Return the id of experiment ``name``, created here (with this home's artifact location) when new.

    Every experiment carries MLflow 3's training kind (:data:`EXPERIMENT_KIND`), also one
    an older phenodag created without it.
    """
    import mlflow

    exp = mlflow.get_experiment_by_name(name)
    if exp is None:
        location = experiment_artifact_location(tracking_uri, artifact_root)
        return str(mlflow.create_experiment(name, artifact_location=location, tags={KIND_TAG: EXPERIMENT_KIND}))
    if exp.tags.get(KIND_TAG) is None:
        mlflow.MlflowClient().set_experiment_tag(exp.experiment_id, KIND_TAG, EXPERIMENT_KIND)
    return str(exp.experiment_id)


@contextlib.contextmanager
def open_run(
    tracking_uri: str,
    artifact_root: str | Path,
    experiment: str,
    run_name: str | None = None,
    tags: Mapping[str, str] | None = None,
    nested: bool = False,
) -> Iterator[Any]:
    """Start an MLflow run in ``experiment`` of the store at ``tracking_uri``, tagged with ``tags``.

    Yields
    ------
    mlflow.ActiveRun
        The active run; it ends when the block exits (FAILED on an exception). What a
        stage records into it, each stage's driver (``core/<stage>/run.py``) logs.
    """
    import mlflow  # imported here: mlflow's import costs seconds and most steps never need it

    use_store(tracking_uri, artifact_root)
    exp_id = experiment_id(experiment, tracking_uri, artifact_root)
    with mlflow.start_run(experiment_id=exp_id, run_name=run_name, nested=nested, tags=dict(tags or {})) as run:
        yield run


def log_figure(png: bytes, name: str) -> str:
    """Log PNG bytes as ``<name>.png`` of the active run; return the artifact path."""
    import mlflow

    from phenodag.core.shared.figures import png_image

    path = f"{name}.png"
    mlflow.log_image(png_image(png), path)
    return path
