from pathlib import Path

import numpy as np
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
    encoder = load_encoder("convae-phenoml", phenoml_weights)
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
