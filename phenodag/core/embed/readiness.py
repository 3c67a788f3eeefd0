"""Which encoders can embed now, and when automation trains the ConvAE.

Automation asks for nothing that does not exist: an encoder whose weights are missing
(no ``champion`` of ``phenodag-convae`` yet, no published weights file named) waits,
and :func:`encoder_readiness` says why in words. The training policy
(:class:`TrainingPolicy`, from :class:`~phenodag.core.shared.settings.Settings`)
decides when a home has enough images to train the first ConvAE, and when enough new
plates have come in to train the next one; :func:`training_decision` is the whole rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from phenodag.core.embed.config import TrainingPolicy
from phenodag.core.shared.settings import Settings
from phenodag.core.shared.vocab import ENCODER_NEEDS


def _registered(uri: str) -> bool:
    """Whether a ``models:/name@alias`` or ``models:/name/version`` URI names a version in the active registry."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    name, _, rest = uri.removeprefix("models:/").partition("@")
    client = MlflowClient()
    try:
        if rest:
            client.get_model_version_by_alias(name, rest)
        else:
            name, _, version = uri.removeprefix("models:/").partition("/")
            client.get_model_version(name, version)
    except MlflowException:
        return False
    return True


def weights_missing(name: str, weights: str | None) -> str | None:
    """Why encoder ``name`` cannot embed with the weights reference ``weights``; None when it can.

    Parameters
    ----------
    name
        An encoder of ``ENCODER_NAMES``.
    weights
        What :func:`~phenodag.core.embed.registry.default_weights` names: an MLflow
        model URI, a file, ``random``, or None (classical features need none).
        A ``models:/`` URI is looked up in the active MLflow registry (``use_store``).
    """
    if weights is None:
        return None if name == "classical" else f"no weights named; {name} needs {ENCODER_NEEDS[name]}"
    if weights == "random":
        return None
    if weights.startswith("models:/"):
        if _registered(weights):
            return None
        return f"{weights} is not registered yet; {name} needs {ENCODER_NEEDS[name]}"
    if not Path(weights).expanduser().is_file():
        return f"weights file {weights} does not exist; {name} needs {ENCODER_NEEDS[name]}"
    return None


def encoder_readiness(names: tuple[str, ...], settings: Settings) -> dict[str, str | None]:
    """For each encoder of ``names``: None when it can embed in this home, else why it waits (in words)."""
    from phenodag.core.embed.registry import default_weights
    from phenodag.core.shared.mlflow_store import use_store

    use_store(settings.mlflow_tracking_uri, settings.mlflow_artifact_root)
    return {
        name: weights_missing(name, default_weights(name, settings.phenoml_weights, settings.weights_dir))
        for name in names
    }


def has_champion(settings: Settings) -> bool:
    """Whether the home's registry has a ``champion`` of the ConvAE."""
    return encoder_readiness(("convae",), settings)["convae"] is None


@dataclass(frozen=True)
class TrainingDecision:
    """What the policy says now: whether to train, why, and the plate count to remember."""

    train: bool
    reason: str
    plates_seen: int | None


def training_decision(
    policy: TrainingPolicy, images: int, plates: int, champion: bool, last_plates: int | None
) -> TrainingDecision:
    """Apply ``policy`` to a home holding ``images`` images of ``plates`` plates.

    Parameters
    ----------
    last_plates
        The plate count when automation last asked for a training (or first saw a
        champion); None when it never did. A training asked for that produced no
        champion is not asked for again until a plate lands.
    """
    if policy.min_images == 0:
        return TrainingDecision(False, policy.describe(), last_plates)
    if not champion:
        if images < policy.min_images:
            return TrainingDecision(
                False, f"no ConvAE champion yet; {images} of {policy.min_images} images needed", last_plates
            )
        if last_plates is not None and plates <= last_plates:
            return TrainingDecision(
                False,
                f"a training asked for at {last_plates} plate(s) made no champion; waiting for a new plate",
                last_plates,
            )
        return TrainingDecision(True, f"no ConvAE champion and {images} images (≥ {policy.min_images})", plates)
    if last_plates is None:
        return TrainingDecision(False, f"a champion exists; counting new plates from {plates}", plates)
    if policy.retrain_after_plates == 0:
        return TrainingDecision(False, "a champion exists; automatic retraining is off", last_plates)
    new = plates - last_plates
    if new < policy.retrain_after_plates:
        return TrainingDecision(
            False,
            f"a champion exists; {new} of {policy.retrain_after_plates} new plate(s) before retraining",
            last_plates,
        )
    return TrainingDecision(
        True, f"{new} new plate(s) since the last training (≥ {policy.retrain_after_plates})", plates
    )
