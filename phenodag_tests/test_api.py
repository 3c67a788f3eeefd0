import subprocess
import sys
from pathlib import Path

import numpy as np

import phenodag


def test_import_does_not_load_torch() -> None:
    code = "import sys, phenodag; assert 'torch' not in sys.modules; print('ok')"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "ok\n"


def test_embed_paths_arrays_and_single(hct15_image: Path, phenoml_weights: Path) -> None:
    from phenodag.core.shared.images import decode_image

    one = phenodag.embed(hct15_image, weights=phenoml_weights, readout="latent")
    both = phenodag.embed(
        [str(hct15_image), decode_image(hct15_image)], encoder="convae-phenoml", weights=phenoml_weights
    )
    assert one.shape == (1, 4096) and both.shape == (2, 456) and both.dtype == np.float32  # pooled: the default
    assert np.allclose(both[0], both[1])
    assert abs(float(one.mean()) - 0.07734) < 1e-3  # the published figure, through the latent readout


def test_embed_random_resnet() -> None:
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (48, 48), dtype=np.uint8) for _ in range(2)]
    out = phenodag.embed(images, encoder="resnet18", weights="random")
    again = phenodag.embed(images, encoder="resnet18", weights="random")
    assert out.shape == (2, 512) and np.isfinite(out).all()
    assert np.array_equal(out, again)  # the random init is seeded: the same network both times
    assert not np.allclose(out[0], out[1])  # different images, different vectors
