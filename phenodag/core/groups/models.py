"""Group classifiers: one ResNet-18 encoder and one classifier head, five ways to pool a group.

Shapes: a batch of groups is ``x`` (B, N, 1, H, W) with a boolean ``mask`` (B, N) that
marks real images (or (B, N, D) frozen embedding vectors, whose "encoder" is a
:class:`Standardize` with statistics of the training fold); groups of unequal size are padded in the tensor but masked
everywhere, so padding never reaches a pooling, a loss or a prediction (padded slots
are not even encoded).

Methods (all return group logits (B, K)):

``product``      per-image logits summed over the group; softmax of the sum is the
                 normalised product of the per-image softmaxes (Baručić et al.);
``baseline``     the same model trained on single images (groups of one), with the
                 product aggregation at inference;
``amil``         attention pooling of features (Ilse et al. 2018, gated=False):
                 a = softmax_n(wᵀ tanh(V h_n)), z = Σ a_n h_n, logits = head(z);
``mi_net``       mean pooling of features, logits = head(mean h_n) (MI-Net);
``mi_net_inst``  per-image logits pooled by LogSumExp over the group (mi-Net).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

import phenodag.core.shared.torch_compat  # noqa: F401  (torchvision is imported lazily below, after this)
from phenodag.core.shared.vocab import GROUP_METHODS
from phenodag.core.shared.weights import load_state_dict

FEATURE_DIM = 512


def resnet18_one_channel(weights: str | Path | None = None) -> nn.Module:
    """ResNet-18 with a one-channel stem and no fc (outputs (M, 512)); weights from a local file or none.

    A weights file holds a state dict of torchvision's ResNet-18 (with or without
    ``fc``); a three-channel stem is summed over its input channels, which is what a
    grey image repeated three times would see.

    Raises
    ------
    FileNotFoundError
        If ``weights`` names a file that does not exist.
    """
    from torchvision.models import resnet18

    net = resnet18(weights=None)
    net.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    net.fc = nn.Identity()
    if weights is not None:
        state = {k: v for k, v in load_state_dict(weights).items() if not k.startswith("fc.")}
        if state["conv1.weight"].shape[1] == 3:
            state["conv1.weight"] = state["conv1.weight"].sum(dim=1, keepdim=True)
        net.load_state_dict(state)
    return net


class Standardize(nn.Module):
    """The encoder of frozen vectors: (v - mean) / sd per dimension, with the training fold's statistics."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.mean: torch.Tensor
        self.sd: torch.Tensor
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("sd", torch.ones(dim))

    def fit(self, vectors: torch.Tensor) -> Standardize:
        """Set mean and sd from (M, D) training vectors (sd floored at 1e-6); returns self."""
        self.mean.copy_(vectors.mean(dim=0))
        self.sd.copy_(vectors.std(dim=0).clamp_min(1e-6) if len(vectors) > 1 else torch.ones_like(self.sd))
        return self

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        """Standardised (M, D) vectors."""
        return (v - self.mean) / self.sd


def classifier_head(dim: int, n_classes: int, dropout: float = 0.5) -> nn.Sequential:
    """Dropout → Linear(D, D/2) → BatchNorm1d → ReLU → Dropout → Linear(D/2, K)."""
    return nn.Sequential(
        nn.Dropout(dropout),
        nn.Linear(dim, dim // 2),
        nn.BatchNorm1d(dim // 2),
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.Linear(dim // 2, n_classes),
    )


def masked_logsumexp(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """LogSumExp over dim 1 of (B, N, K) scores, ignoring slots where ``mask`` (B, N) is False."""
    return torch.logsumexp(scores.masked_fill(~mask[..., None], float("-inf")), dim=1)


class AttentionPool(nn.Module):
    """Attention pooling of Ilse et al. (2018): weights softmax(wᵀ tanh(V h)) over the real images."""

    def __init__(self, dim: int, hidden: int = 128) -> None:
        super().__init__()
        self.score = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def weights(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Attention weights (B, N), zero at padded slots, summing to one per group."""
        a = self.score(h).squeeze(-1).masked_fill(~mask, float("-inf"))
        return torch.softmax(a, dim=1)

    def forward(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Pooled features (B, D)."""
        return torch.einsum("bn,bnd->bd", self.weights(h, mask), h)


class GroupClassifier(nn.Module):
    """Encoder + head + the pooling of one method (module docstring)."""

    def __init__(self, method: str, n_classes: int, encoder: nn.Module | None = None, dim: int = FEATURE_DIM) -> None:
        super().__init__()
        if method not in GROUP_METHODS:
            raise ValueError(f"method {method!r}; expected one of {GROUP_METHODS}")
        self.method = method
        self.n_classes = n_classes
        self.encoder = encoder if encoder is not None else resnet18_one_channel()
        self.head = classifier_head(dim, n_classes)
        self.attention = AttentionPool(dim) if method == "amil" else None

    def features(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Encode the real images of (B, N, C, H, W) into (B, N, D); padded slots stay zero."""
        b, n = mask.shape
        real = self.encoder(x[mask])
        h = real.new_zeros(b, n, real.shape[-1])
        h[mask] = real
        return h

    def image_logits(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Per-image logits (B, N, K) from features; padded slots are zero."""
        out = h.new_zeros(*mask.shape, self.n_classes)
        out[mask] = self.head(h[mask])
        return out

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Group logits (B, K) of groups ``x`` (B, N, C, H, W) with real-image ``mask`` (B, N)."""
        if mask is None:
            mask = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
        if not bool(mask.any(dim=1).all()):
            raise ValueError("every group needs at least one real image")
        h = self.features(x, mask)
        if self.method in ("product", "baseline"):
            return self.image_logits(h, mask).sum(dim=1)
        if self.method == "mi_net_inst":
            return masked_logsumexp(self.image_logits(h, mask), mask)
        if self.method == "mi_net":
            pooled = h.sum(dim=1) / mask.sum(dim=1, keepdim=True).to(h.dtype)
        else:
            assert self.attention is not None
            pooled = self.attention(h, mask)
        return self.head(pooled)
