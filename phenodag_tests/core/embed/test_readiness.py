"""Which encoders can embed in a home, and the ConvAE training policy's decisions."""

from pathlib import Path

import pytest

from phenodag.core.embed.readiness import (
    TrainingPolicy,
    encoder_readiness,
    training_decision,
    weights_missing,
)
from phenodag.core.shared.settings import Settings


def test_untrained_encoders_are_ready_and_missing_files_are_named(tmp_path: Path) -> None:
    assert weights_missing("classical", None) is None
    assert weights_missing("convae-random", "random") is None
    why = weights_missing("convae-phenoml", None)
    assert why is not None and "PHENODAG_PHENOML_WEIGHTS" in why
    why = weights_missing("resnet18", str(tmp_path / "resnet18.pth"))
    assert why is not None and "resnet18.pth does not exist" in why
    (tmp_path / "resnet18.pth").write_bytes(b"x")
    assert weights_missing("resnet18", str(tmp_path / "resnet18.pth")) is None


def test_a_new_home_has_no_convae_champion(tmp_path: Path) -> None:
    settings = Settings.from_env(tmp_path / "home").ensure()
    ready = encoder_readiness(("classical", "convae-random", "convae"), settings)
    assert ready["classical"] is None and ready["convae-random"] is None
    assert ready["convae"] is not None and "not registered yet" in ready["convae"]


def test_first_training_waits_for_enough_images_and_is_asked_for_once() -> None:
    policy = TrainingPolicy(min_images=100)
    first = training_decision(policy, images=73, plates=2, champion=False, last_plates=None)
    assert not first.train and "73 of 100 images" in first.reason
    due = training_decision(policy, images=150, plates=3, champion=False, last_plates=None)
    assert due.train and due.plates_seen == 3
    # the training made no champion: not asked for again until a plate lands
    assert not training_decision(policy, 150, 3, champion=False, last_plates=3).train
    assert training_decision(policy, 200, 4, champion=False, last_plates=3).train


def test_retraining_counts_plates_from_the_champion() -> None:
    policy = TrainingPolicy(min_images=100, retrain_after_plates=2)
    seen = training_decision(policy, 500, 5, champion=True, last_plates=None)
    assert not seen.train and seen.plates_seen == 5  # a champion trained by hand: count from here
    assert not training_decision(policy, 600, 6, True, 5).train
    again = training_decision(policy, 700, 7, True, 5)
    assert again.train and again.plates_seen == 7
    assert not training_decision(TrainingPolicy(100, 0), 700, 70, True, 5).train  # retraining off


def test_policy_off_and_bad_counts() -> None:
    off = training_decision(TrainingPolicy(min_images=0), 10_000, 9, champion=False, last_plates=None)
    assert not off.train and "off" in off.reason
    with pytest.raises(ValueError, match="0 or more"):
        TrainingPolicy(min_images=-1)
