import numpy as np
import torch

from phenodag.core.embed.convae import ConvAE, kaiming_init
from phenodag.core.embed.heldout import dead_channels, flat_mse, full_views, psnr


def test_dead_channels_counts_relu_channels_no_image_switches_on() -> None:
    torch.manual_seed(0)
    model = kaiming_init(ConvAE()).eval()
    batch = torch.rand(4, 1, 32, 32)
    alive = dead_channels(model, batch)
    with torch.no_grad():
        model.encoder[0].bias[:5] = -1e6  # five first-stage channels can never fire
        model.encoder[3].bias[:2] = -1e6  # and two of the second stage
    assert dead_channels(model, batch, chunk=3) == alive + 7


def test_flat_baseline_psnr_and_full_views() -> None:
    rng = np.random.default_rng(0)
    images = [rng.uniform(0, 1, (48, 64)).astype(np.float32) for _ in range(3)]
    batch = full_views(images, 32)
    assert batch.shape == (3, 1, 32, 32) and float(batch.min()) >= 0 and float(batch.max()) <= 1
    assert flat_mse(torch.full((2, 1, 8, 8), 0.3)) < 1e-12  # a flat image is its own best flat reconstruction
    assert flat_mse(batch) > 0
    assert abs(psnr(0.01) - 20.0) < 1e-9 and psnr(0.0) == float("inf")
    assert full_views([], 32).shape == (0, 1, 32, 32)
