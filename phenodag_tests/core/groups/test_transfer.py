import numpy as np
import polars as pl
import torch

from phenodag.core.groups.config import GroupTransferConfig
from phenodag.core.groups.data import pack
from phenodag.core.groups.models import GroupClassifier, Standardize
from phenodag.core.groups.transfer import frozen_features, run_task, task_data, task_metrics, with_new_head


def image_groups() -> pl.DataFrame:
    rows = []
    for i, (compound, group_set) in enumerate(
        [("A", "screen")] * 4
        + [("B", "screen")] * 4
        + [("DMSO", "control")] * 4
        + [("L1", "library")] * 4
        + [("L2", "library")] * 4
    ):
        rows.append({"group_id": f"g{i}", "compound": compound, "group_set": group_set, "fold": i % 2})
    return pl.DataFrame(rows)


def test_task_data_labels_each_task() -> None:
    groups = image_groups()
    moa = task_data("moa", groups, {"A": "cytotoxic", "B": "cytostatic"})
    assert moa is not None and moa.classes == ["cytostatic", "cytotoxic"] and moa.groups.height == 8
    tvc = task_data("treated_vs_control", groups, {})
    assert tvc is not None and tvc.classes == ["control", "treated"]
    assert tvc.labels.tolist() == [1] * 8 + [0] * 4
    lib = task_data("library", groups, {})
    assert lib is not None and set(lib.groups["compound"]) == {"L1", "L2"}
    assert task_data("moa", groups, {"A": "cytotoxic"}) is None  # one class: nothing to learn


def test_new_head_trains_only_its_last_layer() -> None:
    torch.manual_seed(0)
    base = GroupClassifier("amil", 5, Standardize(8), dim=8).eval()
    new = with_new_head(base, 2)
    trainable = [n for n, p in new.named_parameters() if p.requires_grad]
    assert trainable == ["head.5.weight", "head.5.bias"] and new.n_classes == 2
    assert new(torch.randn(3, 4, 8)).shape == (3, 2)
    assert base.head[5].out_features == 5  # the base model is untouched


def test_transfer_learns_a_new_question_from_frozen_features() -> None:
    """The base model never saw the new labels; its frozen features still carry them (first dims)."""
    rng = np.random.default_rng(0)
    groups = image_groups().filter(pl.col("group_set") == "library")
    y = np.array([0] * 4 + [1] * 4)
    v = rng.normal(size=(8 * 3, 16)).astype(np.float32)
    v[:, :8] += np.repeat(np.where(y == 1, 2.0, -2.0), 3)[:, None]
    x, mask = pack(v, [3] * 8)
    torch.manual_seed(0)
    base = GroupClassifier("product", 4, Standardize(16).fit(torch.as_tensor(v)), dim=16).eval()
    data = task_data("library", pl.concat([image_groups().filter(pl.col("group_set") != "library"), groups]), {})
    assert data is not None
    result = run_task(data, {0: base, 1: base}, lambda g: (x, mask), "product", "embeddings:toy", GroupTransferConfig())
    top1 = result.rows.filter(pl.col("metric") == "top1_accuracy")["value"]
    assert top1.len() == 2 and top1.mean() >= 0.75  # chance: 0.5
    assert result.probabilities.shape == (8, 2)


def test_binary_metrics_are_roc_and_pr_auc() -> None:
    m = task_metrics(
        "treated_vs_control", np.array([0, 0, 1, 1]), np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.5, 0.5]])
    )
    assert m["roc_auc"] == 1.0 and m["pr_auc"] == 1.0 and m["accuracy"] == 0.75


def test_features_computed_once_give_the_same_predictions() -> None:
    from phenodag.core.groups.train import predict_groups

    torch.manual_seed(0)
    x = torch.rand(5, 3, 1, 32, 32)
    mask = torch.tensor([[1, 1, 1], [1, 1, 0], [1, 0, 0], [1, 1, 1], [1, 1, 1]], dtype=torch.bool)
    for method in ("product", "amil", "mi_net", "mi_net_inst", "baseline"):
        model = with_new_head(GroupClassifier(method, 4).eval(), 3)
        direct = predict_groups(model, x, mask)
        cached_model, h = frozen_features(model, x, mask, chunk=2)
        assert h.shape == (5, 3, 512) and bool((h[~mask] == 0).all())
        np.testing.assert_allclose(predict_groups(cached_model, h, mask), direct, rtol=1e-4, atol=1e-6)
