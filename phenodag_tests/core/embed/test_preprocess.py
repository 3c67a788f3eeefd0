import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from phenodag.core.embed.preprocess import IMAGENET_MEAN, IMAGENET_STD, Preprocess
from phenodag.core.shared.images import contrast_stretch, to_unit_float


def test_fields() -> None:
    img = np.zeros((600, 520), np.uint16)
    assert len(Preprocess().fields(img)) == 1
    (crop,) = Preprocess(field="center_crop", field_px=256).fields(img)
    assert crop.shape == (256, 256)
    tiles = Preprocess(field="tile", field_px=256).fields(img)
    assert len(tiles) == 4 and all(t.shape == (256, 256) for t in tiles)
    with pytest.raises(ValueError, match="smaller than field_px"):
        Preprocess(field="tile", field_px=1024).fields(img)
    with pytest.raises(ValueError, match="field"):
        Preprocess(field="mosaic")


def test_tensor_scaling_resize_and_channels() -> None:
    img8 = np.full((64, 64), 255, np.uint8)
    img16 = np.full((64, 64), 65535, np.uint16)
    t = Preprocess(size=32).tensor([img8, img16])
    assert t.shape == (2, 1, 32, 32) and torch.allclose(t, torch.ones_like(t))
    rgb = Preprocess(size=16, channels=3, mean=IMAGENET_MEAN, std=IMAGENET_STD).tensor([np.zeros((20, 20), np.uint8)])
    assert rgb.shape == (1, 3, 16, 16)
    assert torch.allclose(
        rgb[0, :, 0, 0], torch.tensor([-m / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD, strict=True)])
    )


def test_describe_is_recorded_json() -> None:
    d = json.loads(Preprocess(field="tile", field_px=128).describe())
    assert d == {
        "size": 128,
        "antialias": False,
        "channels": 1,
        "mean": [],
        "std": [],
        "field": "tile",
        "field_px": 128,
    }


@pytest.mark.parametrize("shape", [(1040, 1408), (48, 48), (130, 257), (256, 256)])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("contrast", ["none", "stretch"])
def test_resampling_in_place_equals_scaling_then_interpolating(
    shape: tuple[int, int], dtype: type, contrast: str
) -> None:
    img = np.random.default_rng(0).integers(0, np.iinfo(dtype).max, shape).astype(dtype)
    unit = to_unit_float(img)
    unit = contrast_stretch(unit) if contrast == "stretch" else unit
    reference = F.interpolate(torch.from_numpy(unit)[None, None], size=(128, 128), mode="bilinear", align_corners=False)
    fast = Preprocess(contrast=contrast).tensor([img])
    assert fast.shape == reference.shape and fast.dtype == torch.float32
    assert float((fast - reference).abs().max()) < 1e-6
