import numpy as np
import polars as pl
import pytest
import torch

from phenodag.core.groups.config import GroupRobustnessConfig
from phenodag.core.groups.data import pack
from phenodag.core.groups.features import GroupInputs
from phenodag.core.groups.models import GroupClassifier, Standardize
from phenodag.core.groups.robustness import (
    add_noise,
    blur,
    duplicate_slots,
    insert_duplicates,
    kernel_sigma,
    levels,
    perturbed_inputs,
    robustness_rows,
)


@pytest.mark.parametrize("kernel", [3, 5, 11])
def test_blur_spreads_a_point_over_exactly_the_kernel(kernel: int) -> None:
    x = torch.zeros(1, 1, 21, 21)
    x[0, 0, 10, 10] = 1.0
    out = blur(x, kernel)[0, 0]
    support = torch.nonzero(out > 1e-8)
    r = (kernel - 1) // 2
    assert support[:, 0].min() == 10 - r and support[:, 0].max() == 10 + r
    assert support[:, 1].min() == 10 - r and support[:, 1].max() == 10 + r
    assert torch.isclose(out.sum(), torch.tensor(1.0))
    assert kernel_sigma(3) == pytest.approx(0.8) and kernel_sigma(11) == pytest.approx(2.0)


def test_noise_scales_with_each_images_sd() -> None:
    x = torch.randn(2, 1, 64, 64) * torch.tensor([1.0, 5.0]).view(2, 1, 1, 1)
    gen = torch.Generator().manual_seed(0)
    diff = add_noise(x, 0.2, gen) - x
    sds = diff.std(dim=(1, 2, 3)) / x.std(dim=(1, 2, 3))
    assert torch.allclose(sds, torch.tensor([0.2, 0.2]), atol=0.02)


def test_duplicates_follow_the_real_images_and_keep_padding_masked() -> None:
    x, mask = pack(torch.arange(5, dtype=torch.float32)[:, None] + 1, [3, 2])  # groups [1, 2, 3] and [4, 5]
    slots = duplicate_slots([["1uM@24h", "0.1uM@48h", "0.1uM@24h"], ["10uM@24h", "0.1uM@24h"]])
    assert slots.tolist() == [2, 1]  # lowest concentration, earliest time
    out, m = insert_duplicates(x, mask, slots, 2)
    assert out.shape == (2, 5, 1)
    assert out[0, :, 0].tolist() == [1, 2, 3, 3, 3] and m[0].tolist() == [True] * 5
    assert out[1, :, 0].tolist() == [4, 5, 5, 5, 0] and m[1].tolist() == [True] * 4 + [False]
    with pytest.raises(ValueError, match="'5uM@24h' is not in a group"):
        duplicate_slots([["1uM@24h"]], "5uM@24h")


def test_clean_accuracy_is_retained_whole_and_duplicates_move_the_vote() -> None:
    torch.manual_seed(0)
    model = GroupClassifier("mi_net", 2, Standardize(4), dim=4).eval()
    x, mask = pack(torch.randn(12, 4), [3] * 4)
    groups = pl.DataFrame(
        {
            "compound": ["a", "b", "a", "b"],
            "fold": [0, 0, 1, 1],
            "configurations": [["0.1uM@24h", "1uM@24h", "1uM@48h"]] * 4,
        }
    )
    config = GroupRobustnessConfig(blur_kernels=[], noise_sds=[], max_copies=2)
    perturbed = perturbed_inputs(GroupInputs(x, mask, "embeddings:toy", "w"), [["p"] * 3] * 4, None, 0)
    with pytest.raises(ValueError, match="encoder weights none"):
        perturbed("noise", 0.1)
    rows = robustness_rows(
        "mi_net", {0: model, 1: model}, ["a", "b"], "embeddings:toy", groups, mask, perturbed, config
    )
    assert levels(config) == [("none", 0.0), ("duplicates", 1.0), ("duplicates", 2.0)]
    assert rows.height == 3 * 2 and set(rows["n_groups"]) == {2}
    clean = rows.filter(pl.col("perturbation") == "none")
    assert all(r == 1.0 or np.isnan(r) for r in clean["retained"])


def test_image_inputs_are_perturbed_in_place_of_the_images() -> None:
    x, mask = pack(torch.randn(6, 1, 16, 16), [3, 3])
    perturbed = perturbed_inputs(GroupInputs(x, mask, "resnet18"), [["p"] * 3] * 2, None, seed=0)
    assert perturbed("none", 0.0) is x
    noisy = perturbed("noise", 0.5)
    assert noisy.shape == x.shape and not torch.allclose(noisy, x)
    assert perturbed("noise", 0.5) is noisy  # computed once
    assert torch.allclose(perturbed("blur", 3.0)[0, 0], blur(x[0, :1], 3)[0])
