"""The lens loss and training: α acts through a real gradient, every α starts from the same state."""

import torch
from torch import nn

from phenodag.core.embed.convae import ConvAE, kaiming_init
from phenodag.core.lens.classifier import DrugClassifier, freeze
from phenodag.core.lens.config import LensConfig
from phenodag.core.lens.lens import lens_loss, new_lens, train_lens


def _setup() -> tuple[ConvAE, nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    ae = freeze(kaiming_init(ConvAE()))
    classifier = freeze(DrugClassifier(4 * 8 * 8, 3, hidden=16))
    images = torch.rand(4, 1, 32, 32)
    labels = torch.tensor([0, 1, 2, 1])
    return ae, classifier, images, labels


def _grads(lens: nn.Module) -> torch.Tensor:
    return torch.cat([p.grad.flatten() for p in lens.parameters()])


def _lens_grad(alpha: float, drop_classifier_term: bool = False) -> torch.Tensor:
    ae, classifier, images, labels = _setup()
    lens = new_lens(ae)
    loss = lens_loss(lens, ae.encoder, classifier, images, labels, alpha)
    total = loss.total if not drop_classifier_term else nn.functional.binary_cross_entropy(lens(images), images)
    total.backward()
    return _grads(lens)


def test_alpha_reaches_the_lens_gradient() -> None:
    g0, g1, g60 = _lens_grad(0.0), _lens_grad(1.0), _lens_grad(-60.0)
    assert not torch.allclose(g0, g1)  # the classifier term is in the graph (the published .item() dropped it)
    assert not torch.allclose(g1, g60)
    # the gradient is linear in α: g(α) = g_rec − α·g_disc
    g_disc = g0 - g1
    assert torch.allclose(g60, g0 + 60.0 * g_disc, rtol=1e-3, atol=1e-5)


def test_without_the_classifier_term_the_gradient_is_the_alpha_zero_one() -> None:
    assert torch.allclose(_lens_grad(5.0, drop_classifier_term=True), _lens_grad(0.0))


def test_frozen_encoder_and_classifier_get_no_gradient() -> None:
    ae, classifier, images, labels = _setup()
    lens = new_lens(ae)
    lens_loss(lens, ae.encoder, classifier, images, labels, -20.0).total.backward()
    assert all(p.grad is None for p in [*ae.parameters(), *classifier.parameters()])
    assert all(p.grad is not None for p in lens.parameters())


def test_classifier_returns_logits_and_the_loss_applies_one_softmax() -> None:
    ae, classifier, images, labels = _setup()
    lens = new_lens(ae)
    loss = lens_loss(lens, ae.encoder, classifier, images, labels, 0.0)
    logits = classifier(ae.encoder(lens(images)).flatten(1))
    assert not torch.allclose(logits.sum(1), torch.ones(4))  # not probabilities
    expected = nn.functional.cross_entropy(logits, labels)
    assert abs(loss.disc - float(expected.detach())) < 1e-5
    double = nn.functional.cross_entropy(torch.softmax(logits, 1), labels)
    assert abs(loss.disc - float(double.detach())) > 1e-3  # what the published double softmax would have given


def test_every_alpha_starts_from_the_same_state_in_any_order() -> None:
    ae, classifier, images, labels = _setup()
    before = {k: v.clone() for k, v in ae.state_dict().items()}

    def run(alpha: float) -> dict[str, torch.Tensor]:
        config = LensConfig(steps=3, batch_size=2)
        return train_lens(ae, ae.encoder, classifier, images, labels, alpha, config).lens.state_dict()

    a_then_b = (run(-20.0), run(20.0))
    b_then_a = (run(20.0), run(-20.0))
    for k in before:
        assert torch.equal(a_then_b[0][k], b_then_a[1][k])
        assert torch.equal(a_then_b[1][k], b_then_a[0][k])
        assert torch.equal(ae.state_dict()[k], before[k])  # the starting ConvAE is never trained
    assert any(not torch.equal(a_then_b[0][k], a_then_b[1][k]) for k in before)  # α changed the result
