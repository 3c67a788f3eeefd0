import torch

from phenodag.core.groups.augment import Augment, gaussian_blur


def test_shape_kept_and_each_image_drawn_separately() -> None:
    x = torch.randn(1, 1, 24, 24).expand(6, 1, 24, 24).contiguous()
    out = Augment()(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and torch.isfinite(out).all()
    assert not torch.allclose(out[0], out[1])


def test_disabled_is_identity() -> None:
    x = torch.randn(3, 1, 8, 8)
    assert Augment(enabled=False)(x) is x


def test_blur_keeps_constant_images_and_smooths_noise() -> None:
    const = torch.full((2, 1, 16, 16), 0.5)
    assert torch.allclose(gaussian_blur(const, torch.tensor([0.5, 1.0])), const, atol=1e-6)
    noise = torch.randn(2, 1, 32, 32)
    assert gaussian_blur(noise, torch.tensor([1.0, 1.0])).std() < noise.std() * 0.7
