"""MLflow model registry helpers for the ConvAE: log, register, promote, load.

Models are logged with ``serialization_format="pickle"`` on purpose: MLflow 3's default
(pt2, torch.export) needs an input example and loads back as a GraphModule without the
ConvAE's methods. Loading copies the logged weights into a fresh :class:`ConvAE`, so a
registered version keeps loading when the class moves. Pip requirements are given
explicitly (torch pinned), which also spares MLflow's slow requirement inference.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import mlflow
import torch
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from phenodag.core.embed.convae import ConvAE
from phenodag.core.shared.vocab import CHAMPION_ALIAS, CONVAE_MODEL_NAME

logger = logging.getLogger(__name__)

_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))$")


def log_torch_model(model: torch.nn.Module, registered_name: str | None = None, name: str = "model") -> Any:
    """Log a torch model to the active run (pickle format, torch pinned; module docstring); returns MLflow's info."""
    return mlflow.pytorch.log_model(
        model,
        name=name,
        serialization_format="pickle",
        pip_requirements=[f"torch=={torch.__version__.split('+')[0]}"],
        registered_model_name=registered_name,
    )


def log_convae(model: ConvAE, scores: dict[str, float], registered_name: str = CONVAE_MODEL_NAME) -> str:
    """Log ``model`` to the active run, register it, and tag the version with its judge scores.

    Returns
    -------
    str
        The new model version.
    """
    info = log_torch_model(model, registered_name)
    version = str(info.registered_model_version)
    client = MlflowClient()
    for metric, value in scores.items():
        client.set_model_version_tag(registered_name, version, metric, repr(float(value)))
    return version


def champion_score(metric: str, name: str = CONVAE_MODEL_NAME, alias: str = CHAMPION_ALIAS) -> float | None:
    """Return the ``metric`` tag of the version the alias points to (None without a champion or that tag)."""
    client = MlflowClient()
    try:
        mv = client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None
    tag = mv.tags.get(metric)
    return float(tag) if tag is not None else None


def promote_if_better(
    version: str, metric: str, value: float, name: str = CONVAE_MODEL_NAME, alias: str = CHAMPION_ALIAS
) -> bool:
    """Point ``alias`` at ``version`` if its ``metric`` (a comparison metric: higher wins) beats the champion's.

    A champion without that metric is beaten by any scored version.
    """
    current = champion_score(metric, name, alias)
    if current is not None and value <= current:
        logger.info("%s v%s (%s %.5f) does not beat the %s (%.5f)", name, version, metric, value, alias, current)
        return False
    MlflowClient().set_registered_model_alias(name, alias, version)
    logger.info("%s v%s (%s %.5f) is the new %s", name, version, metric, value, alias)
    return True


def promote_if_first(version: str, name: str = CONVAE_MODEL_NAME, alias: str = CHAMPION_ALIAS) -> bool:
    """Point ``alias`` at ``version`` only if no version holds it yet (an unjudged version never replaces one)."""
    client = MlflowClient()
    try:
        client.get_model_version_by_alias(name, alias)
    except MlflowException:
        client.set_registered_model_alias(name, alias, version)
        logger.warning("%s v%s could not be judged; it is the %s because there was none", name, version, alias)
        return True
    logger.warning("%s v%s could not be judged; the %s stays", name, version, alias)
    return False


def resolve_version(uri: str) -> tuple[str, str]:
    """Return (model name, version) of ``models:/name@alias`` or ``models:/name/version``.

    Raises
    ------
    ValueError
        If ``uri`` is not such a URI.
    FileNotFoundError
        If the alias or version does not exist in the registry.
    """
    m = _URI.match(uri)
    if not m:
        raise ValueError(f"{uri!r} is not a model URI (models:/NAME@ALIAS or models:/NAME/VERSION)")
    client = MlflowClient()
    try:
        if m["alias"]:
            return m["name"], str(client.get_model_version_by_alias(m["name"], m["alias"]).version)
        return m["name"], str(client.get_model_version(m["name"], m["version"]).version)
    except MlflowException as exc:
        raise FileNotFoundError(
            f"{uri} is not in the MLflow registry at {mlflow.get_tracking_uri()}: train one with the "
            "convae_model asset, or name a weights file"
        ) from exc


def load_convae(uri: str) -> tuple[ConvAE, str]:
    """Load a registered ConvAE version; returns the model and its id ``mlflow:<name>/<version>``."""
    name, version = resolve_version(uri)
    logged: Any = mlflow.pytorch.load_model(f"models:/{name}/{version}", map_location="cpu")
    model = ConvAE()
    model.load_state_dict(logged.state_dict())
    return model.eval(), f"mlflow:{name}/{version}"
