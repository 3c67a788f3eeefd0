"""What only the orchestration needs: the Dagster instance, the executor, automation and the training policy.

:class:`DagsterSettings` is the core's :class:`~phenodag.core.shared.settings.Settings`
(paths, lake, MLflow, weights) plus these, parsed from the same reading of the
environment (:func:`~phenodag.core.shared.settings.environment`). Every variable, its
default and what it does is listed once, in the settings table of ``docs/guide/README.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from phenodag.core.embed.config import TrainingPolicy
from phenodag.core.shared.settings import Settings, environment, path_setting
from phenodag.core.shared.vocab import ENCODER_NAMES

EXECUTORS = ("in_process", "multiprocess", "dask", "k8s")
"""How a run executes its steps (``PHENODAG_EXECUTOR``); the first is the default.

``in_process`` by default: on one machine a run is already its own process (the daemon's
run launcher starts one per run) and parallelism comes from runs, so a process per step
only repeats the start-up (importing Dagster, torch and the code location, 3-5 s on 2
cores) for every step of every run.
"""

AUTOMATED_STAGES = ("sql", "embed", "temporal", "compare", "groups", "lens", "report")
"""Stages that Dagster's declarative automation can run after a plate lands (``PHENODAG_AUTOMATE``).

``sql`` and ``embed`` follow each plate at once (eager); the others are cross-plate and
run once per tick of ``PHENODAG_BATCH_CRON`` when something upstream changed (the
report after the stages it shows). Training the ConvAE (``convae_model``) is not a
condition: the training policy's sensor asks for it (``PHENODAG_TRAIN_MIN_IMAGES``).
"""
DEFAULT_SENSOR_INTERVAL_S = 30
DEFAULT_AUTO_ENCODERS = ("classical", "convae-random", "convae-phenoml", "convae")
"""Every encoder that needs no file of the user's: each waits (visibly) until its weights exist."""
DEFAULT_TRAIN_MIN_IMAGES = 500
DEFAULT_RETRAIN_AFTER_PLATES = 0
DEFAULT_BATCH_CRON = "0 * * * *"
STAGE_CONFIG_FILE = "stage_config.yaml"


@dataclass(frozen=True, kw_only=True)
class DagsterSettings(Settings):
    """A home's settings with the orchestration's own: what the Dagster definitions, runner and demo read.

    Attributes
    ----------
    dagster_home
        The Dagster instance's folder (``DAGSTER_HOME``).
    executor, dask_scheduler
        Where a run's steps execute (:data:`EXECUTORS`) and the Dask scheduler's address.
    sensor_interval_s, batch_cron
        How often the sensors tick, and when batched stages may run.
    automate, auto_encoders
        The stages automation runs, and the encoders it embeds with.
    train_min_images, retrain_after_plates
        The ConvAE training policy (:attr:`training_policy`).
    stage_config
        The home's run-config defaults (``stage_config.yaml``).
    """

    dagster_home: Path
    executor: str = EXECUTORS[0]
    dask_scheduler: str | None = None
    sensor_interval_s: int = DEFAULT_SENSOR_INTERVAL_S
    batch_cron: str = DEFAULT_BATCH_CRON
    automate: tuple[str, ...] = AUTOMATED_STAGES
    auto_encoders: tuple[str, ...] = DEFAULT_AUTO_ENCODERS
    train_min_images: int = DEFAULT_TRAIN_MIN_IMAGES
    retrain_after_plates: int = DEFAULT_RETRAIN_AFTER_PLATES
    stage_config: Path | None = None

    @classmethod
    def from_env(cls, home: str | Path | None = None) -> DagsterSettings:
        """Build the core settings (:meth:`Settings.from_env`) and the orchestration's from the same environment."""
        core = Settings.from_env(home)
        env, explicit = environment(), home is not None
        return cls(
            **{f.name: getattr(core, f.name) for f in dataclasses.fields(Settings)},
            dagster_home=path_setting(env, "DAGSTER_HOME", core.home / "dagster", explicit),
            executor=_executor(env),
            dask_scheduler=env.get("PHENODAG_DASK_SCHEDULER") or None,
            sensor_interval_s=int(env.get("PHENODAG_SENSOR_INTERVAL_S", DEFAULT_SENSOR_INTERVAL_S)),
            batch_cron=env.get("PHENODAG_BATCH_CRON", DEFAULT_BATCH_CRON),
            automate=_names(env, "PHENODAG_AUTOMATE", AUTOMATED_STAGES, AUTOMATED_STAGES),
            auto_encoders=_names(env, "PHENODAG_AUTO_ENCODERS", DEFAULT_AUTO_ENCODERS, ENCODER_NAMES),
            train_min_images=_count(env, "PHENODAG_TRAIN_MIN_IMAGES", DEFAULT_TRAIN_MIN_IMAGES),
            retrain_after_plates=_count(env, "PHENODAG_RETRAIN_AFTER_PLATES", DEFAULT_RETRAIN_AFTER_PLATES),
            stage_config=path_setting(env, "PHENODAG_STAGE_CONFIG", core.home / STAGE_CONFIG_FILE, explicit),
        )

    @property
    def training_policy(self) -> TrainingPolicy:
        """When automation trains the ConvAE."""
        return TrainingPolicy(self.train_min_images, self.retrain_after_plates)

    def ensure(self) -> DagsterSettings:
        """Create the local folders, the Dagster instance's included."""
        self.dagster_home.mkdir(parents=True, exist_ok=True)
        return super().ensure()


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
