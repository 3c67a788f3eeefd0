"""Where phenodag keeps its lake, inbox, Dagster instance and MLflow store: the one reader of the environment.

No other module reads ``os.environ``: the Dagster definitions, the CLI and the API
build a :class:`Settings` (``Settings.from_env()``) and pass its values on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from phenodag.core.shared.vocab import AUTOMATED_STAGES, ENCODER_NAMES

DEFAULT_HOME = ".phenodag"
DEFAULT_MARKER = "COMPLETE"
DEFAULT_SENSOR_INTERVAL_S = 30
DEFAULT_AUTO_ENCODERS = ("convae",)
DEFAULT_BATCH_CRON = "0 * * * *"
DEFAULT_MLFLOW_UI = "http://127.0.0.1:5000"
STAGE_CONFIG_FILE = "stage_config.yaml"
REPO_SQL_DIR = Path(__file__).resolve().parents[3] / "dbt_like_sql"


@dataclass(frozen=True)
class Settings:
    """Resolved paths and options of one phenodag home.

    Every path defaults to a folder below ``home`` and can be overridden by its
    environment variable:

    ============================  ===================================================
    ``PHENODAG_HOME``             root of everything below (default ``./.phenodag``)
    ``PHENODAG_LAKE``             lake root: a path or an object-store URI (``s3://…``)
    ``PHENODAG_INBOX``            where plate folders are dropped
    ``DAGSTER_HOME``              the Dagster instance
    ``MLFLOW_TRACKING_URI``       MLflow store (default SQLite under the home)
    ``PHENODAG_MARKER``           file that marks a plate folder complete (``COMPLETE``)
    ``PHENODAG_SENSOR_INTERVAL_S`` inbox sensor interval in seconds (30)
    ``PHENODAG_SQL_DIR``          folder of SQL models (the repository's ``dbt_like_sql``)
    ``PHENODAG_PHENOML_WEIGHTS``  the published pheno-ml ConvAE state dict
    ``PHENODAG_WEIGHTS_DIR``      folder of torchvision state dicts ``<encoder>.pth``
    ``PHENODAG_AUTOMATE``         stages run by automation after a plate lands (all of
                                  ``AUTOMATED_STAGES``; ``none`` for none)
    ``PHENODAG_AUTO_ENCODERS``    encoders whose partitions automation fills (``convae``)
    ``PHENODAG_BATCH_CRON``       cron of the cross-plate stages' batches (hourly)
    ``PHENODAG_MLFLOW_UI``        address of the MLflow UI that run links in Dagster open
    ``PHENODAG_STAGE_CONFIG``     run-config YAML whose ``ops:`` values become the
                                  stages' config defaults (``stage_config.yaml`` in
                                  the home, used when it exists)
    ============================  ===================================================
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
    batch_cron: str = DEFAULT_BATCH_CRON
    mlflow_ui_url: str = DEFAULT_MLFLOW_UI
    stage_config: Path | None = None

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
            batch_cron=env.get("PHENODAG_BATCH_CRON", DEFAULT_BATCH_CRON),
            mlflow_ui_url=env.get("PHENODAG_MLFLOW_UI", DEFAULT_MLFLOW_UI).rstrip("/"),
            stage_config=pick("PHENODAG_STAGE_CONFIG", root / STAGE_CONFIG_FILE),
        )

    def ensure(self) -> Settings:
        """Create the local folders (lake, inbox, Dagster home, MLflow artifacts)."""
        for path in (self.inbox, self.dagster_home, self.mlflow_artifact_root):
            path.mkdir(parents=True, exist_ok=True)
        if "://" not in self.lake:
            Path(self.lake).mkdir(parents=True, exist_ok=True)
        return self


def _names(env: os._Environ[str], var: str, default: tuple[str, ...], known: tuple[str, ...]) -> tuple[str, ...]:
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
