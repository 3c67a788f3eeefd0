from pathlib import Path

import numpy as np
import pytest

from phenodag.core.embed.classical import CLASSICAL_FEATURES, classical_features, confluence, local_std
from phenodag.core.shared.images import decode_image


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


def test_confluence_of_an_empty_field_is_near_0_and_of_a_full_field_near_1() -> None:
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[:256, :256]
    empty = 0.45 + 0.01 * np.sin(xx / 40) + rng.normal(0, 0.003, (256, 256))  # smooth background, camera noise
    full = empty.copy()
    for y, x in rng.integers(0, 256, (900, 2)):  # cells packed edge to edge
        full += 0.15 * np.cos(np.hypot(yy - y, xx - x) / 2.0) * np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / 40.0)
    assert confluence(np.clip(empty, 0, 1)) < 0.02
    assert confluence(np.clip(full, 0, 1)) > 0.95


def test_confluence_rises_monotonically_on_a_growing_simulated_well() -> None:
    from phenodag_tests.core.simulate.test_screen import mean_confluence

    _, control, _ = mean_confluence("control")
    assert control[-1] > control[0] + 0.2
    assert np.all(np.diff(control) > -0.01), control  # growth never reads as a loss beyond estimator noise


def test_classical_features_are_named_finite_and_see_texture() -> None:
    rng = np.random.default_rng(4)
    flat = np.full((256, 256), 120, np.uint8)
    textured = rng.integers(60, 200, (256, 256), dtype=np.uint8)
    a, b = classical_features(flat), classical_features(textured)
    assert a.shape == b.shape == (len(CLASSICAL_FEATURES),) and CLASSICAL_FEATURES[0] == "confluence"
    assert np.isfinite(a).all() and np.isfinite(b).all()
    named = dict(zip(CLASSICAL_FEATURES, b - a, strict=True))
    assert named["confluence"] > 0.9 and named["glcm_contrast_d1"] > 0 and named["local_std_mean"] > 0
    with pytest.raises(ValueError, match="one grey image"):
        classical_features(np.zeros((2, 8, 8)))


def test_the_classical_encoder_is_in_the_registry_and_needs_nothing() -> None:
    from phenodag.core.embed.pipeline import embed_images
    from phenodag.core.embed.registry import load_encoder

    enc = load_encoder("classical")
    assert enc.dim == len(CLASSICAL_FEATURES) and enc.weights_id.startswith("none:")
    rng = np.random.default_rng(5)
    vectors = embed_images([rng.integers(0, 255, (300, 280), dtype=np.uint8) for _ in range(3)], enc)
    assert vectors.shape == (3, enc.dim) and np.isfinite(vectors).all()
    with pytest.raises(ValueError, match="takes no weights"):
        load_encoder("classical", "some.pth")
