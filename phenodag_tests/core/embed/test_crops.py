import numpy as np
import pytest
import torch

from phenodag.core.embed.crops import CropStrategy, _box, make_views, strategy_grid


def test_names_and_grid() -> None:
    s = CropStrategy.parse("1f+2l+1s")
    assert (s.n_large, s.n_small, s.n_views, s.name) == (2, 1, 4, "1f+2l+1s")
    assert CropStrategy().name == "1f+1l+3s"  # the paper's best is the default
    grid = strategy_grid()
    assert {g.n_views for g in grid} == {2, 3, 4, 5} and len(grid) == 14
    assert len({g.name for g in grid}) == len(grid)
    with pytest.raises(ValueError, match="crop strategy"):
        CropStrategy.parse("5 crops")


@pytest.mark.parametrize("name", ["1f+0l+1s", "1f+1l+3s", "1f+4l+0s"])
def test_views_count_and_size(name: str) -> None:
    s = CropStrategy.parse(name, size=48)
    views = make_views(torch.rand(1, 100, 120), s, np.random.default_rng(0))
    assert views.shape == (s.n_views, 1, 48, 48)
    assert float(views.min()) >= 0 and float(views.max()) <= 1


def test_crop_areas_follow_the_scales() -> None:
    rng = np.random.default_rng(1)
    s = CropStrategy()
    large = [h * w / (200 * 200) for _, _, h, w in (_box(rng, 200, 200, s.large_scale, s.ratio) for _ in range(200))]
    small = [h * w / (200 * 200) for _, _, h, w in (_box(rng, 200, 200, s.small_scale, s.ratio) for _ in range(200))]
    assert min(large) >= 0.38 and max(large) <= 1.0
    assert min(small) >= 0.04 and max(small) <= 0.42
    assert np.mean(large) > 2 * np.mean(small)  # expected means 0.7 and 0.225


def test_views_are_deterministic_by_generator() -> None:
    img = torch.rand(1, 64, 64)
    a = make_views(img, CropStrategy(size=32), np.random.default_rng(5))
    b = make_views(img, CropStrategy(size=32), np.random.default_rng(5))
    c = make_views(img, CropStrategy(size=32), np.random.default_rng(6))
    assert torch.equal(a, b) and not torch.equal(a, c)
