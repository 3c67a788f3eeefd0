from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from phenodag.core.embed.convae import ConvAE
from phenodag.core.embed.registry import load_encoder
from phenodag.core.shared.images import decode_image


def test_architecture() -> None:
    model = ConvAE()
    assert sum(p.numel() for p in model.parameters()) == 189_381
    x = torch.rand(2, 1, 128, 128)
    assert model.encoder(x).shape == (2, 4, 32, 32)
    assert model.embed(x).shape == (2, 4096)
    with torch.no_grad():
        out = model(x)
    assert out.shape == x.shape and float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    keys = {k.rsplit(".", 1)[0] for k in model.state_dict()}
    assert keys == {f"{part}.{i}" for part in ("encoder", "decoder") for i in (0, 3, 6, 8)}


def test_published_weights_reproduce_reference_figures(phenoml_weights: Path, hct15_image: Path) -> None:
    encoder = load_encoder("convae-phenoml", phenoml_weights, readout="latent")
    assert encoder.describe() == encoder.preprocess.describe()  # the published description, unchanged
    assert encoder.weights_id == "sha256:d914f05d6f5663f9842041d9d32afc932cf0010a8b09493f2b98a2f3a9b61885"
    x = encoder.preprocess.tensor([decode_image(hct15_image)])
    z = encoder.forward(x)
    assert z.shape == (1, 4096)
    figures = [float(z.mean()), float(z.std()), float(z.min()), float(z.max())]
    assert np.allclose(figures, [0.07734, 0.29787, -2.8247, 2.3267], atol=1e-3), figures
    ae = ConvAE()
    ae.load_state_dict(torch.load(phenoml_weights, map_location="cpu", weights_only=True))
    with torch.no_grad():
        bce = F.binary_cross_entropy(ae.eval()(x), x).item()
    assert abs(bce - 0.6880) < 1e-3


def test_kaiming_init_lets_the_input_reach_the_output() -> None:
    from phenodag.core.embed.convae import kaiming_init

    torch.manual_seed(0)
    x = torch.rand(4, 1, 32, 32)

    def pre_sigmoid_std(model: ConvAE) -> float:
        with torch.no_grad():
            return float(model.decoder[:-1](model.encoder(x)).std())

    assert pre_sigmoid_std(ConvAE()) < 0.1  # PyTorch's default init: the signal vanishes over eight layers
    assert pre_sigmoid_std(kaiming_init(ConvAE())) > 0.3


def field_of_cells(size: int = 128, seed: int = 0, cells: int = 25) -> torch.Tensor:
    """A grey field with bright round cells at random positions, (1, 1, size, size) in [0, 1]."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    img = np.full((size, size), 0.4)
    for y, x in rng.integers(0, size, (cells, 2)):
        img += 0.4 * np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / 18.0)
    return torch.from_numpy(np.clip(img, 0, 1)).float()[None, None]


def test_pooled_readout_is_invariant_to_a_circular_shift_and_the_latent_is_not() -> None:
    from phenodag.core.embed.convae import POOLED_DIM, kaiming_init
    from phenodag.core.embed.registry import convae_readout

    torch.manual_seed(0)
    ae = kaiming_init(ConvAE()).eval()
    x = field_of_cells()
    shifted = torch.roll(x, shifts=(40, 52), dims=(2, 3))
    with torch.no_grad():
        pooled = convae_readout(ae, "pooled")
        latent = convae_readout(ae, "latent")
        p0, p1 = pooled(x), pooled(shifted)
        l0, l1 = latent(x), latent(shifted)
    assert p0.shape == (1, POOLED_DIM) == (1, 456) and l0.shape == (1, 4096)

    def relative(a: torch.Tensor, b: torch.Tensor) -> float:
        return float((a - b).norm() / a.norm())

    assert relative(p0, p1) < 0.03, relative(p0, p1)  # only the zero-padded border differs
    assert relative(l0, l1) > 10 * relative(p0, p1), (relative(l0, l1), relative(p0, p1))  # values tied to positions
    other = field_of_cells(seed=1, cells=80)  # a denser field is further away than a shifted one
    with torch.no_grad():
        assert relative(p0, pooled(other)) > 3 * relative(p0, p1)


def test_the_readout_is_recorded_with_every_vector() -> None:
    pooled = load_encoder("convae-random", "random")
    assert pooled.readout == "pooled" and pooled.dim == 456
    assert '"readout":"pooled"' in pooled.describe()
    latent = load_encoder("convae-random", "random", readout="latent")
    assert latent.dim == 4096 and "readout" not in latent.describe()
    with pytest.raises(ValueError, match="pools by construction"):
        load_encoder("resnet18", "random", readout="latent")
    with pytest.raises(ValueError, match="unknown readout"):
        load_encoder("convae-random", "random", readout="flat")
