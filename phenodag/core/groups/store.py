"""Trained fold models on disk, for the stages that reuse them (transfer, robustness).

``group_cv`` saves the model of every fold at ``<dir>/<method>/fold<k>.pt``: a torch
file with the state dict and what is needed to rebuild and trust it (method, classes,
feature source, the frozen encoder's weights id, vector length, image side). A new run
of a method replaces its files. Loading uses ``torch.load(weights_only=True)``: the
file holds tensors, strings and numbers only, never pickled code.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from phenodag.core.groups.models import GroupClassifier, Standardize, resnet18_one_channel
from phenodag.core.shared.vocab import FEATURES_RESNET


@dataclass(frozen=True)
class FoldModelInfo:
    """What a saved fold model is: method, fold, classes (index order), inputs it reads."""

    method: str
    fold: int
    classes: list[str]
    features: str
    weights_id: str
    dim: int
    image_size: int
    normalisation: str = "none"
    """How the frozen vectors were normalised to their plate's controls (models saved before it: none)."""


def model_path(folder: str | Path, method: str, fold: int) -> Path:
    """Where the model of ``method`` and ``fold`` is saved."""
    return Path(folder) / method / f"fold{fold}.pt"


def save_fold_model(folder: str | Path, model: GroupClassifier, info: FoldModelInfo) -> Path:
    """Write ``model`` with ``info`` (atomically: a temporary file renamed into place)."""
    path = model_path(folder, info.method, info.fold)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({"info": asdict(info), "state": model.state_dict()}, tmp)
    tmp.replace(path)
    return path


def load_fold_model(path: str | Path) -> tuple[GroupClassifier, FoldModelInfo]:
    """Rebuild a saved fold model in eval mode.

    Raises
    ------
    FileNotFoundError
        If there is no such file (run ``group_cv`` for the method first).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no group model at {path}; materialise group_cv for this method first")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    info = FoldModelInfo(**payload["info"])
    encoder = resnet18_one_channel() if info.features == FEATURES_RESNET else Standardize(info.dim)
    model = GroupClassifier(info.method, len(info.classes), encoder, dim=info.dim)
    model.load_state_dict(payload["state"])
    return model.eval(), info


def load_method_models(folder: str | Path, method: str) -> dict[int, tuple[GroupClassifier, FoldModelInfo]]:
    """Every saved fold model of ``method``, by fold (empty if none)."""
    files = sorted((Path(folder) / method).glob("fold*.pt"), key=lambda p: int(p.stem.removeprefix("fold")))
    return {int(p.stem.removeprefix("fold")): load_fold_model(p) for p in files}
