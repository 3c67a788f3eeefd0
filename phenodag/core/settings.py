"""Where phenodag keeps its lake, inbox, Dagster instance and MLflow store."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = ".phenodag"
DEFAULT_MARKER = "COMPLETE"


@dataclass(frozen=True)
class Settings:
    """Resolved paths of one phenodag home.

    Every path defaults to a folder below ``home`` and can be overridden by its
    environment variable: ``PHENODAG_HOME`` (default ``./.phenodag``),
    ``PHENODAG_LAKE`` (a local path or an object-store URI such as ``s3://bucket/lake``),
    ``PHENODAG_INBOX``, ``DAGSTER_HOME`` and ``MLFLOW_TRACKING_URI``.
    ``PHENODAG_MARKER`` names the file whose presence marks a plate folder complete
    (default ``COMPLETE``).
    """

    home: Path
    lake: str
    inbox: Path
    dagster_home: Path
    mlflow_tracking_uri: str
    mlflow_artifact_root: Path
    marker: str

    @classmethod
    def from_env(cls, home: str | Path | None = None) -> Settings:
        """Build settings from ``home`` (or ``PHENODAG_HOME``) and the environment.

        Parameters
        ----------
        home
            Root folder; when given it takes precedence over ``PHENODAG_HOME`` and
            every derived default is placed below it.

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
        )

    def ensure(self) -> Settings:
        """Create the local folders (lake, inbox, Dagster home, MLflow artifacts)."""
        for path in (self.inbox, self.dagster_home, self.mlflow_artifact_root):
            path.mkdir(parents=True, exist_ok=True)
        if "://" not in self.lake:
            Path(self.lake).mkdir(parents=True, exist_ok=True)
        return self
