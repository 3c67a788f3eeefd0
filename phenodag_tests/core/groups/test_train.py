import numpy as np
import torch

from phenodag.core.groups.config import GroupCVConfig
from phenodag.core.groups.train import _batches, predict_groups, predict_images, train_group_model


def data() -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    x = torch.randn(8, 3, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    mask = torch.ones(8, 3, dtype=torch.bool)
    mask[0, 2] = False
    return x, mask, np.arange(8) % 2


def test_training_is_repeatable_and_predictions_are_distributions() -> None:
    x, mask, y = data()
    cfg = GroupCVConfig(epochs=1, batch_groups=4, augment=False)
    a = predict_groups(train_group_model("product", x, mask, y, 2, cfg), x, mask)
    b = predict_groups(train_group_model("product", x, mask, y, 2, cfg), x, mask)
    assert a.shape == (8, 2) and np.allclose(a.sum(axis=1), 1) and np.allclose(a, b)


def test_baseline_trains_on_single_images_and_predicts_images() -> None:
    x, mask, y = data()
    model = train_group_model("baseline", x, mask, y, 2, GroupCVConfig(epochs=1, batch_groups=2))
    img = predict_images(model, x, mask)
    assert img.shape == (8, 3, 2) and np.isnan(img[0, 2]).all() and np.allclose(img[1].sum(axis=1), 1)


def test_batches_never_leave_a_single_item() -> None:
    batches = _batches(9, 4, np.random.default_rng(0))
    assert sorted(np.concatenate(batches).tolist()) == list(range(9)) and min(map(len, batches)) >= 2


def test_restart_period_defaults_to_a_seventh_and_the_run_ends_with_a_cycle() -> None:
    assert GroupCVConfig(epochs=350).first_period(1) == 50
    assert GroupCVConfig(epochs=3, restart_epochs=2).first_period(5) == 10
    for epochs, steps in [(30, 9), (3, 1), (20, 4), (7, 3)]:
        t0 = GroupCVConfig(epochs=epochs).first_period(steps)
        assert epochs * steps <= 7 * t0 < epochs * steps + 7  # 1 + 2 + 4 periods cover the run, just


def test_batchnorm_statistics_are_re_estimated_on_unaugmented_training_images() -> None:
    x, mask, y = data()
    mask[:] = True  # equal batches: the cumulative average of batch means is the mean
    model = train_group_model("product", x, mask, y, 2, GroupCVConfig(epochs=2, batch_groups=4))
    with torch.no_grad():
        act = model.encoder.conv1(x.reshape(-1, 1, 16, 16))
    assert torch.allclose(model.encoder.bn1.running_mean, act.mean(dim=(0, 2, 3)), atol=1e-5)
    stale = train_group_model("product", x, mask, y, 2, GroupCVConfig(epochs=2, batch_groups=4, precise_bn=False))
    assert not torch.allclose(stale.encoder.bn1.running_mean, act.mean(dim=(0, 2, 3)), atol=1e-3)
