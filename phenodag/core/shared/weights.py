"""Loading network weights from a local file, never from the network."""

from __future__ import annotations

from pathlib import Path

import torch


def load_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Load a state dict on the CPU without unpickling code (``weights_only``).

    A checkpoint that wraps its weights as ``{"state_dict": {...}}`` is unwrapped.

    Parameters
    ----------
    path
        The weights file.

    Returns
    -------
    dict
        Parameter name → tensor.

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a file (weights are never downloaded).
    ValueError
        If the file holds no state dict, or cannot be read as tensors only (torch's
        own message, which suggests ``weights_only=False``, is not passed on: that
        would run code from an untrusted file).
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"weights file {path} does not exist (weights are never downloaded)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError, EOFError... for files it cannot read
        raise ValueError(
            f"{path}: not a PyTorch weights file that loads without running code ({type(exc).__name__}); "
            "phenodag reads weights only as tensors and never unpickles code from a weights file"
        ) from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(f"{path}: expected a state dict, found {type(state).__name__}")
    return state
