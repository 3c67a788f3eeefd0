"""Where phenodag keeps its lake, inbox, weights and MLflow store: the one reader of the environment.

No other module reads ``os.environ`` (:func:`environment`): the CLI and the API build a
:class:`Settings` (``Settings.from_env()``) and pass its values on. What only the
orchestration needs (the Dagster instance, executor, automation) is parsed from the same
reading by :class:`phenodag.defs.shared.settings.DagsterSettings`, a subclass.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from phenodag.core.shared.mlflow_store import is_server

DEFAULT_HOME = ".phenodag"
DEFAULT_MARKER = "COMPLETE"
DEFAULT_MLFLOW_UI = "http://127.0.0.1:5000"
# The SQL models ship inside the package: in a checkout ``phenodag/dbt_like_sql`` links to the
# top-level ``dbt_like_sql/``, and a wheel carries the files themselves as package data.
REPO_SQL_DIR = Path(__file__).resolve().parents[2] / "dbt_like_sql"


@dataclass(frozen=True)
class Settings:
    """Resolved paths and options of one phenodag home.

    Every path defaults to a folder below ``home`` and can be overridden by its
    environment variable; every variable, its default and what it does is listed once,
    in the settings table of ``docs/guide/README.md`` (a test keeps the two equal).

    Credentials of an ``s3://`` lake are never settings: deltalake and polars read
    ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN`` (or an
    instance or pod role) from the process environment themselves, so no secret ends up
    in a resource's config, which the Dagster UI shows.
    """

    home: Path
    lake: str
    inbox: Path
    mlflow_tracking_uri: str
    mlflow_artifact_root: Path
    marker: str = DEFAULT_MARKER
    sql_dir: Path = REPO_SQL_DIR
    phenoml_weights: Path | None = None
    weights_dir: Path | None = None
    mlflow_ui_url: str = DEFAULT_MLFLOW_UI
    torch_device: str = "cpu"
    lake_storage_options: Mapping[str, str] = field(default_factory=dict)
    """deltalake storage options of an object-store lake (:func:`lake_storage_options`); empty for a folder."""

    @property
    def checkpoint_dir(self) -> Path:
        """Where training writes its epoch checkpoints (``$PHENODAG_HOME/checkpoints``)."""
        return self.home / "checkpoints"

    @classmethod
    def from_env(cls, home: str | Path | None = None) -> Settings:
        """Build settings from ``home`` (or ``PHENODAG_HOME``) and the environment.

        Parameters
        ----------
        home
            Root folder; when given it takes precedence over ``PHENODAG_HOME`` and
            every derived path is placed below it (the path variables are ignored).

        Returns
        -------
        Settings
            Absolute paths; nothing is created on disk.
        """
        env = environment()
        root = Path(home or env.get("PHENODAG_HOME") or DEFAULT_HOME).expanduser().resolve()
        explicit = home is not None

        def optional(var: str) -> Path | None:
            value = env.get(var)
            return Path(value).expanduser() if value else None

        lake_env = None if explicit else env.get("PHENODAG_LAKE")
        lake = (
            lake_env
            if lake_env and "://" in lake_env
            else str(path_setting(env, "PHENODAG_LAKE", root / "lake", explicit))
        )
        tracking = (None if explicit else env.get("MLFLOW_TRACKING_URI")) or (f"sqlite:///{root / 'mlflow.db'}")
        return cls(
            home=root,
            lake=lake,
            inbox=path_setting(env, "PHENODAG_INBOX", root / "inbox", explicit),
            mlflow_tracking_uri=tracking,
            mlflow_artifact_root=root / "mlartifacts",
            marker=env.get("PHENODAG_MARKER", DEFAULT_MARKER),
            sql_dir=optional("PHENODAG_SQL_DIR") or REPO_SQL_DIR,
            phenoml_weights=optional("PHENODAG_PHENOML_WEIGHTS"),
            weights_dir=optional("PHENODAG_WEIGHTS_DIR"),
            mlflow_ui_url=(
                env.get("PHENODAG_MLFLOW_UI") or (tracking if is_server(tracking) else DEFAULT_MLFLOW_UI)
            ).rstrip("/"),
            torch_device=env.get("PHENODAG_TORCH_DEVICE", "cpu"),
            lake_storage_options=lake_storage_options(lake, env),
        )

    def ensure(self) -> Self:
        """Create the local folders (lake, inbox, MLflow artifacts)."""
        for path in (self.inbox, self.mlflow_artifact_root):
            path.mkdir(parents=True, exist_ok=True)
        if "://" not in self.lake:
            Path(self.lake).mkdir(parents=True, exist_ok=True)
        return self


def environment() -> Mapping[str, str]:
    """Read the process environment: the one place phenodag does (every setting is parsed from this reading)."""
    return dict(os.environ)


def path_setting(env: Mapping[str, str], var: str, default: Path, explicit_home: bool) -> Path:
    """Return the absolute path in ``var``, else ``default``; with an explicit home the variable is ignored."""
    value = None if explicit_home else env.get(var)
    return Path(value).expanduser().resolve() if value else default


def lake_storage_options(lake: str, env: Mapping[str, str]) -> dict[str, str]:
    """Return the deltalake storage options of ``lake``: endpoint, region and commit protocol of an ``s3://`` lake.

    Parameters
    ----------
    lake
        The lake root; a local folder or a non-S3 URI gets no options.
    env
        The environment (endpoint: ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL``;
        region: ``AWS_REGION`` or ``AWS_DEFAULT_REGION``).

    Returns
    -------
    dict
        ``conditional_put: etag`` always for S3: every commit is a put-if-absent of the
        next log entry, so two writers of one table never both get a version (the
        loser retries on the new version); AWS S3, MinIO and R2 support it, and it is
        stated here rather than left to deltalake's default. ``allow_http`` only when
        the endpoint is ``http://``.
    """
    if not lake.startswith(("s3://", "s3a://")):
        return {}
    options = {"conditional_put": "etag"}
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    if endpoint:
        options["endpoint"] = endpoint
        if endpoint.startswith("http://"):
            options["allow_http"] = "true"
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        options["region"] = region
    return options
