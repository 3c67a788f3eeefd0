import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from phenodag.core.groups.models import GroupClassifier, masked_logsumexp, resnet18_one_channel
from phenodag.core.shared.vocab import GROUP_METHODS


class TinyEncoder(torch.nn.Module):
    """A small stand-in for ResNet-18 (same contract: (M, 1, H, W) → (M, D))."""

    def __init__(self, dim: int = 16) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(1, dim, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x).mean(dim=(2, 3))


def model(method: str, k: int = 5) -> GroupClassifier:
    torch.manual_seed(0)
    return GroupClassifier(method, k, TinyEncoder(), dim=16).eval()


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(2, 8), st.integers(0, 10_000))
def test_softmax_of_summed_logits_is_normalised_product(n: int, k: int, seed: int) -> None:
    logits = torch.randn(n, k, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 3
    product = torch.softmax(logits, dim=1).prod(dim=0)
    assert torch.allclose(torch.softmax(logits.sum(dim=0), dim=0), product / product.sum(), atol=1e-10)


@pytest.mark.parametrize("method", GROUP_METHODS)
def test_output_shape_and_permutation_invariance(method: str) -> None:
    m = model(method)
    x = torch.randn(3, 4, 1, 12, 12)
    out = m(x)
    perm = torch.tensor([2, 0, 3, 1])
    assert out.shape == (3, 5)
    assert torch.allclose(out, m(x[:, perm]), atol=1e-5)


@pytest.mark.parametrize("method", GROUP_METHODS)
def test_masked_slots_change_nothing(method: str) -> None:
    m = model(method)
    x = torch.randn(2, 4, 1, 12, 12)
    mask = torch.tensor([[True, True, False, False], [True, True, True, True]])
    out = m(x, mask)
    garbage = x.clone()
    garbage[0, 2:] = 1e3  # whatever sits in padded slots must not matter
    assert torch.allclose(out, m(garbage, mask), atol=1e-5)
    assert torch.allclose(out[0], m(x[:1, :2])[0], atol=1e-5)  # same as the short group alone


def test_a_group_without_images_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one real image"):
        model("product")(torch.randn(1, 2, 1, 8, 8), torch.zeros(1, 2, dtype=torch.bool))


def test_masked_logsumexp_ignores_padding() -> None:
    scores = torch.tensor([[[1.0, 2.0], [50.0, 50.0]]])
    got = masked_logsumexp(scores, torch.tensor([[True, False]]))
    assert torch.allclose(got, torch.tensor([[1.0, 2.0]]))


def test_amil_weights_sum_to_one_over_real_images() -> None:
    m = model("amil")
    assert m.attention is not None
    h = torch.randn(2, 3, 16)
    mask = torch.tensor([[True, False, True], [True, True, True]])
    w = m.attention.weights(h, mask)
    assert torch.allclose(w.sum(dim=1), torch.ones(2)) and w[0, 1] == 0


def test_resnet_has_one_channel_stem_and_512_features() -> None:
    net = resnet18_one_channel().eval()
    assert net(torch.randn(2, 1, 32, 32)).shape == (2, 512)


def test_resnet_weights_file_three_channel_stem_is_summed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from torchvision.models import resnet18

    import phenodag.core.shared.torch_compat  # noqa: F401

    src = resnet18(weights=None)
    path = tmp_path / "r18.pth"
    torch.save(src.state_dict(), path)
    net = resnet18_one_channel(path)
    expected = src.conv1.weight.sum(dim=1, keepdim=True)
    assert torch.allclose(net.conv1.weight, expected)
    with pytest.raises(FileNotFoundError, match="never downloaded"):
        resnet18_one_channel(tmp_path / "missing.pth")


def test_unknown_method() -> None:
    with pytest.raises(ValueError, match="method"):
        GroupClassifier("max", 3, TinyEncoder(), dim=16)
    assert np.isfinite(model("mi_net")(torch.randn(2, 2, 1, 8, 8)).detach().numpy()).all()
