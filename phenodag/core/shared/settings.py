"""Where phenodag keeps its lake, inbox, Dagster instance and MLflow store: the one reader of the environment.

No other module reads ``os.environ``: the Dagster definitions, the CLI and the API
build a :class:`Settings` (``Settings.from_env()``) and pass its values on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from phenodag.core.shared.mlflow_store import is_server
from phenodag.core.shared.vocab import AUTOMATED_STAGES, ENCODER_NAMES, EXECUTORS

DEFAULT_HOME = ".phenodag"
DEFAULT_MARKER = "COMPLETE"
DEFAULT_SENSOR_INTERVAL_S = 30
DEFAULT_AUTO_ENCODERS = ("classical", "convae-random", "convae-phenoml", "convae")
"""Every encoder that needs no file of the user's: each waits (visibly) until its weights exist."""
DEFAULT_TRAIN_MIN_IMAGES = 500
DEFAULT_RETRAIN_AFTER_PLATES = 0
DEFAULT_BATCH_CRON = "0 * * * *"
DEFAULT_MLFLOW_UI = "http://127.0.0.1:5000"
STAGE_CONFIG_FILE = "stage_config.yaml"
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
    dagster_home: Path
    mlflow_tracking_uri: str
    mlflow_artifact_root: Path
    marker: str = DEFAULT_MARKER
    sensor_interval_s: int = DEFAULT_SENSOR_INTERVAL_S
    sql_dir: Path = REPO_SQL_DIR
    phenoml_weights: Path | None = None
    weights_dir: Path | None = None
    automate: tuple[str, ...] = AUTOMATED_STAGES
    auto_encoders: tuple[str, ...] = DEFAULT_AUTO_ENCODERS
    train_min_images: int = DEFAULT_TRAIN_MIN_IMAGES
    retrain_after_plates: int = DEFAULT_RETRAIN_AFTER_PLATES
    batch_cron: str = DEFAULT_BATCH_CRON
    mlflow_ui_url: str = DEFAULT_MLFLOW_UI
    stage_config: Path | None = None
    executor: str = EXECUTORS[0]
    dask_scheduler: str | None = None
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
        env = os.environ
        root = Path(home or env.get("PHENODAG_HOME") or DEFAULT_HOME).expanduser().resolve()
        explicit = home is not None

        def pick(var: str, default: Path) -> Path:
            value = None if explicit else env.get(var)
            return Path(value).expanduser().resolve() if value else default

        def optional(var: str) -> Path | None:
            value = env.get(var)
            return Path(value).expanduser() if value else None

        lake_env = None if explicit else env.get("PHENODAG_LAKE")
        lake = lake_env if lake_env and "://" in lake_env else str(pick("PHENODAG_LAKE", root / "lake"))
        tracking = (None if explicit else env.get("MLFLOW_TRACKING_URI")) or (f"sqlite:///{root / 'mlflow.db'}")
        return cls(
            home=root,
            lake=lake,
            inbox=pick("PHENODAG_INBOX", root / "inbox"),
            dagster_home=pick("DAGSTER_HOME", root / "dagster"),
            mlflow_tracking_uri=tracking,
            mlflow_artifact_root=root / "mlartifacts",
            marker=env.get("PHENODAG_MARKER", DEFAULT_MARKER),
            sensor_interval_s=int(env.get("PHENODAG_SENSOR_INTERVAL_S", DEFAULT_SENSOR_INTERVAL_S)),
            sql_dir=optional("PHENODAG_SQL_DIR") or REPO_SQL_DIR,
            phenoml_weights=optional("PHENODAG_PHENOML_WEIGHTS"),
            weights_dir=optional("PHENODAG_WEIGHTS_DIR"),
            automate=_names(env, "PHENODAG_AUTOMATE", AUTOMATED_STAGES, AUTOMATED_STAGES),
            auto_encoders=_names(env, "PHENODAG_AUTO_ENCODERS", DEFAULT_AUTO_ENCODERS, ENCODER_NAMES),
            train_min_images=_count(env, "PHENODAG_TRAIN_MIN_IMAGES", DEFAULT_TRAIN_MIN_IMAGES),
            retrain_after_plates=_count(env, "PHENODAG_RETRAIN_AFTER_PLATES", DEFAULT_RETRAIN_AFTER_PLATES),
            batch_cron=env.get("PHENODAG_BATCH_CRON", DEFAULT_BATCH_CRON),
            mlflow_ui_url=(
                env.get("PHENODAG_MLFLOW_UI") or (tracking if is_server(tracking) else DEFAULT_MLFLOW_UI)
            ).rstrip("/"),
            stage_config=pick("PHENODAG_STAGE_CONFIG", root / STAGE_CONFIG_FILE),
            executor=_executor(env),
            dask_scheduler=env.get("PHENODAG_DASK_SCHEDULER") or None,
            torch_device=env.get("PHENODAG_TORCH_DEVICE", "cpu"),
            lake_storage_options=lake_storage_options(lake, env),
        )

    def ensure(self) -> Settings:
        """Create the local folders (lake, inbox, Dagster home, MLflow artifacts)."""
        for path in (self.inbox, self.dagster_home, self.mlflow_artifact_root):
            path.mkdir(parents=True, exist_ok=True)
        if "://" not in self.lake:
            Path(self.lake).mkdir(parents=True, exist_ok=True)
        return self


def _names(env: Mapping[str, str], var: str, default: tuple[str, ...], known: tuple[str, ...]) -> tuple[str, ...]:
    """Parse a comma-separated list of names from ``var`` (``none``: empty), each one of ``known``.

    Raises
    ------
    ValueError
        Naming the variable and the unknown value.
    """
    value = env.get(var)
    if value is None:
        return default
    names = tuple(n.strip() for n in value.split(",") if n.strip() and n.strip() != "none")
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"{var}={value!r}: unknown {', '.join(unknown)}; known: {', '.join(known)}")
    return names


def _count(env: Mapping[str, str], var: str, default: int) -> int:
    """Return a whole number of 0 or more from ``var``; raise a ValueError naming the variable and value otherwise."""
    value = env.get(var)
    if value is None or not value.strip():
        return default
    if not value.strip().isdigit():
        raise ValueError(f"{var}={value!r}: expected a whole number of 0 or more")
    return int(value)


def _executor(env: Mapping[str, str]) -> str:
    """``PHENODAG_EXECUTOR``, checked, with ``PHENODAG_DASK_SCHEDULER`` required for ``dask``."""
    name = env.get("PHENODAG_EXECUTOR", EXECUTORS[0])
    if name not in EXECUTORS:
        raise ValueError(f"PHENODAG_EXECUTOR={name!r}: known {', '.join(EXECUTORS)}")
    if name == "dask" and not env.get("PHENODAG_DASK_SCHEDULER"):
        raise ValueError(
            "PHENODAG_EXECUTOR=dask needs PHENODAG_DASK_SCHEDULER, the scheduler's address (tcp://host:8786)"
        )
    return name


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
