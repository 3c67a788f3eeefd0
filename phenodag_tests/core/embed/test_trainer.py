from pathlib import Path

import numpy as np
import pytest

from phenodag.core.embed.config import TrainConfig
from phenodag.core.embed.trainer import train_convae


@pytest.fixture(scope="module")
def data() -> tuple[list[np.ndarray], list[str]]:
    from phenodag.core.simulate import simulate_field, timelapse_design
    from phenodag.core.simulate.screen import WellPlan

    design = timelapse_design(n_compounds=1, days=0.5, every_h=6, image_size=64)
    images, groups = [], []
    for w in range(6):
        for f in simulate_field(design, design.cell_lines[0], WellPlan(0, w, f"B{w + 2:02d}", None, 0.0), 1, 0):
            images.append(f.astype(np.float32) / 255)
            groups.append(f"P/B{w + 2:02d}")
    return images, groups


FAST = TrainConfig(epochs=2, crop_size=32, batch_size=20, lr=3e-3)
VIEWS = "1f+1l+1s"


def test_training_lowers_held_out_loss(data: tuple[list[np.ndarray], list[str]]) -> None:
    result = train_convae(*data, FAST, VIEWS)
    assert len(result.history) == 2
    assert result.val_loss < result.initial_val_loss
    assert result.history[-1].train_loss < result.history[0].train_loss + 1e-3


def test_training_is_deterministic(data: tuple[list[np.ndarray], list[str]]) -> None:
    a = train_convae(*data, FAST, VIEWS)
    b = train_convae(*data, FAST, VIEWS)
    assert [h.val_loss for h in a.history] == [h.val_loss for h in b.history]


def test_resume_from_checkpoint(tmp_path: Path, data: tuple[list[np.ndarray], list[str]]) -> None:
    ckpt = tmp_path / "ckpt.pt"
    one = train_convae(*data, FAST.model_copy(update={"epochs": 1}), VIEWS, checkpoint=ckpt)
    assert ckpt.exists() and one.resumed_from == 0
    # same data and config apart from epochs → another config key: starts afresh
    fresh = train_convae(*data, FAST, VIEWS, checkpoint=ckpt)
    assert fresh.resumed_from == 0
    resumed = train_convae(*data, FAST.model_copy(update={"epochs": 3}), VIEWS, checkpoint=tmp_path / "b.pt")
    again = train_convae(*data, FAST.model_copy(update={"epochs": 3}), VIEWS, checkpoint=tmp_path / "b.pt")
    assert again.resumed_from == 3 and [h.val_loss for h in again.history] == [h.val_loss for h in resumed.history]


def test_spawned_workers_give_the_same_run(data: tuple[list[np.ndarray], list[str]]) -> None:
    local = train_convae(*data, FAST.model_copy(update={"epochs": 1}), VIEWS)
    spawned = train_convae(*data, FAST.model_copy(update={"epochs": 1, "workers": 1}), VIEWS)
    assert [h.train_loss for h in local.history] == pytest.approx([h.train_loss for h in spawned.history], rel=1e-5)


def test_steps_budget_overrides_epochs_and_progress_is_measured_in_mse(
    data: tuple[list[np.ndarray], list[str]],
) -> None:
    result = train_convae(*data, FAST.model_copy(update={"steps": 5, "epochs": 1}), VIEWS)
    assert [h.step for h in result.history][-1] == 5  # epochs follow from steps, the last one cut short
    last = result.history[-1]
    assert 0 < last.val_mse < 1 and last.val_psnr == pytest.approx(10 * np.log10(1 / last.val_mse))
    assert 0 < result.flat_val_mse < 1


def test_precision_follows_the_cpu_unless_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from phenodag.core.embed import trainer

    monkeypatch.setattr(trainer, "fast_bf16", lambda: False)
    assert not trainer.use_bf16("auto") and trainer.use_bf16("bf16") and not trainer.use_bf16("fp32")
    monkeypatch.setattr(trainer, "fast_bf16", lambda: True)
    assert trainer.use_bf16("auto")
    with pytest.raises(ValueError, match="precision"):
        trainer.use_bf16("fp16")


@pytest.mark.slow
def test_training_learns_structure_beyond_the_flat_reconstruction(data: tuple[list[np.ndarray], list[str]]) -> None:
    from phenodag.core.shared.images import contrast_stretch

    images = [contrast_stretch(a) for a in data[0]]  # as load_training_images prepares them
    result = train_convae(images, data[1], FAST.model_copy(update={"steps": 150}), VIEWS)
    assert result.history[-1].val_mse < 0.9 * result.flat_val_mse  # held-out wells, not the training images
