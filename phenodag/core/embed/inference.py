"""The inference form of an encoder network: frozen TorchScript with oneDNN kernels where it helps.

``torch.jit.freeze`` folds the weights into the graph and
``torch.jit.optimize_for_inference`` rewrites convolutions to oneDNN (MKLDNN) kernels
with pre-packed weights and fused activations. On 2 cores this ran the pheno-ml ConvAE
2.5x (one thread) to 3x (two threads) faster than eager channels-last PyTorch, with
features equal to 1e-5 (``benchmarks/embed_throughput.py`` measures it against the
bare eager forward). Building it takes about a second per network.

It is built once per encoder on the CPU, checked against the eager network on the
example batch, and used only when they agree; otherwise (another device, a network
that does not trace, a mismatch) the eager network runs and the reason is logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import torch
from torch import nn

logger = logging.getLogger(__name__)

TOLERANCE = 1e-3
"""Largest absolute difference from the eager features that the optimised form may show."""

Forward = Callable[[torch.Tensor], torch.Tensor]


def inference_form(model: nn.Module, example: torch.Tensor, device: str) -> tuple[Forward, str]:
    """Return the fastest correct forward of ``model`` for inputs like ``example``, and what it is.

    Parameters
    ----------
    model
        An encoder network in eval mode; its weights must not change afterwards (they
        are frozen into the optimised graph).
    example
        One input batch (its shape past the batch dimension is the one traced).
    device
        The model's device; only ``cpu`` is optimised.

    Returns
    -------
    tuple
        The forward callable and ``"torchscript-onednn"`` or ``"eager"``.
    """
    if device != "cpu":
        return model, "eager"
    start = time.perf_counter()
    try:
        with torch.no_grad():
            frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model.eval(), example)))
            error = float((frozen(example) - model(example)).abs().max())
    except Exception as exc:  # tracing fails on data-dependent control flow; eager always works
        logger.info("eager forward (%s does not trace: %s)", type(model).__name__, exc)
        return model, "eager"
    if not error <= TOLERANCE:
        logger.warning("eager forward: the optimised %s differs by %.2g", type(model).__name__, error)
        return model, "eager"
    logger.info("torchscript-onednn forward built in %.1f s (max difference %.1g)", time.perf_counter() - start, error)
    return frozen, "torchscript-onednn"
