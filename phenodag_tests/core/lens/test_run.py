"""The stage end to end in core: every α re-applies the classifier's held-out wells."""

import pydantic
import pytest
import torch

from phenodag.core.lens.classifier import ClassifierBundle, DrugClassifier
from phenodag.core.lens.config import LensConfig
from phenodag.core.lens.data import class_names, held_out_wells, lens_rows
from phenodag.core.lens.run import lens_data
from phenodag_tests.core.lens.test_data import _images


def test_lens_training_never_sees_the_classifiers_held_out_wells() -> None:
    config = LensConfig()
    rows = lens_rows(_images(), config.late_window_h)
    held = held_out_wells(rows, config.val_fraction, seed=3)
    bundle = ClassifierBundle(DrugClassifier(4, 3), class_names(rows), held, "x", {})
    data = lens_data(_images(), bundle, config)
    assert set(data.held_out.select("plate_id", "well").iter_rows()) == set(held)
    assert set(data.train.select("plate_id", "well").iter_rows()).isdisjoint(held)
    assert torch.is_tensor(bundle.classifier.mean)


def test_config_rejects_an_encoder_a_lens_cannot_start_from() -> None:
    with pytest.raises(pydantic.ValidationError, match="convae-random"):
        LensConfig(encoder="convae-random")
