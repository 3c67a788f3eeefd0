from pathlib import Path

import numpy as np
import pytest

from phenodag.core.shared.images import decode_image
from phenodag_tests.confluence import confluence, local_std


def test_flat_noisy_background_is_empty_and_texture_is_full() -> None:
    rng = np.random.default_rng(0)
    flat = np.clip(128 + rng.normal(0, 1.5, (128, 128)), 0, 255).astype(np.uint8)
    textured = rng.integers(60, 200, (128, 128), dtype=np.uint8)
    assert confluence(flat) < 0.02
    assert confluence(textured) > 0.98


def test_half_covered_field() -> None:
    rng = np.random.default_rng(1)
    img = np.full((128, 128), 128.0) + rng.normal(0, 1.5, (128, 128))
    img[:, :64] += rng.normal(0, 25, (128, 64))
    assert confluence(np.clip(img, 0, 255).astype(np.uint8)) == pytest.approx(0.5, abs=0.06)


def test_bit_depth_does_not_change_the_answer() -> None:
    rng = np.random.default_rng(2)
    img8 = rng.integers(0, 255, (64, 64), dtype=np.uint8)
    img16 = img8.astype(np.uint16) * 257
    assert np.allclose(local_std(img8), local_std(img16), atol=1e-6)


def test_real_hct15_example(hct15_image: Path) -> None:
    # the example shows colonies on the upper and lower edges and an empty middle
    assert 0.25 < confluence(decode_image(hct15_image)) < 0.6
