"""The inference form of an encoder network: faster where it traces and agrees, eager otherwise."""

import torch
from torch import nn

from phenodag.core.embed.convae import ConvAE, kaiming_init
from phenodag.core.embed.inference import TOLERANCE, inference_form


class Listy(nn.Module):
    """A network whose output tracing cannot follow (a list of Python floats)."""

    def forward(self, x: torch.Tensor) -> list[float]:
        return [float(v) for v in x.flatten(1).mean(1)]


def test_the_convae_runs_optimised_with_the_same_features() -> None:
    torch.manual_seed(0)
    encoder = kaiming_init(ConvAE()).encoder.eval()
    x = torch.rand(3, 1, 128, 128)
    forward, kind = inference_form(encoder, x[:1], "cpu")
    assert kind == "torchscript-onednn"
    with torch.no_grad():
        assert float((forward(x) - encoder(x)).abs().max()) < TOLERANCE  # other batch sizes than the example


def test_untraceable_networks_and_other_devices_stay_eager() -> None:
    x = torch.rand(1, 1, 8, 8)
    assert inference_form(Listy(), x, "cpu")[1] == "eager"
    encoder = ConvAE().encoder.eval()
    forward, kind = inference_form(encoder, x, "cuda")
    assert kind == "eager" and forward is encoder
