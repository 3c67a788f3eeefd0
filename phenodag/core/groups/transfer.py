"""Transfer of frozen group models to new questions (Baručić et al. section 4.4).

Each fold's trained model is frozen (encoder, pooling, BatchNorm statistics, every
layer of the head but the last); a new last layer is trained for the new classes on
the task's groups of the other folds and tested on the task's groups of that fold. Tasks:

``moa``                 the compound's planted response type at its top concentration
                        (classes shared by several compounds; the paper's mechanism of
                        action), on the screen's groups and folds;
``treated_vs_control``  screen groups against DMSO groups (the ``control`` set, or DMSO
                        as a screen class), ROC-AUC and PR-AUC of p(treated);
``library``             the compounds of a second library, never seen in training, on
                        the ``library`` set's groups and folds.

Treated groups of a test fold are the screen groups of that fold, so the frozen model
never saw them; control and library groups were never seen by any fold model.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl
import torch
from sklearn.metrics import average_precision_score, roc_auc_score
from torch import nn

from phenodag.core.groups.config import GroupTransferConfig
from phenodag.core.groups.cv import fold_metrics
from phenodag.core.groups.grouping import CONTROL_CLASS
from phenodag.core.groups.models import GroupClassifier
from phenodag.core.groups.train import fit, predict_groups
from phenodag.core.shared.group_schemas import GROUP_TRANSFER_SCHEMA

logger = logging.getLogger(__name__)

TREATED, CONTROL = "treated", "control"


@dataclass(frozen=True)
class TaskData:
    """The groups of one task, their class names (index order) and labels."""

    task: str
    groups: pl.DataFrame
    classes: list[str]
    labels: np.ndarray


@dataclass(frozen=True)
class TaskResult:
    """Per-fold metric rows, and the pooled held-out labels and probabilities (for curves)."""

    rows: pl.DataFrame
    labels: np.ndarray
    probabilities: np.ndarray


def task_data(task: str, image_groups: pl.DataFrame, response_types: dict[str, str]) -> TaskData | None:
    """Return the groups and labels of ``task``, or None where the lake holds too little for it.

    Parameters
    ----------
    image_groups
        Rows of ``image_groups`` (every set).
    response_types
        Compound → planted response type (``moa``; from ``sim_truth``).
    """
    sets = image_groups["group_set"]
    screen = image_groups.filter(sets == "screen")
    if task == "moa":
        groups = screen.filter(pl.col("compound").is_in(list(response_types)))
        names = [response_types[c] for c in groups["compound"]]
    elif task == "treated_vs_control":
        controls = image_groups.filter(pl.col("compound") == CONTROL_CLASS)
        groups = pl.concat([screen.filter(pl.col("compound") != CONTROL_CLASS), controls])
        names = [CONTROL if c == CONTROL_CLASS else TREATED for c in groups["compound"]]
    elif task == "library":
        groups = image_groups.filter(sets == "library")
        names = groups["compound"].to_list()
    else:
        raise ValueError(f"task {task!r}; expected moa, treated_vs_control or library")
    classes = sorted(set(names), key=lambda c: (c != CONTROL, c))  # control first: p(treated) is column 1
    if len(classes) < 2:
        logger.warning("transfer task %s skipped: %d class(es) in the lake", task, len(classes))
        return None
    index = {c: i for i, c in enumerate(classes)}
    return TaskData(task, groups, classes, np.array([index[n] for n in names]))


def with_new_head(model: GroupClassifier, n_classes: int) -> GroupClassifier:
    """Return a frozen copy of ``model`` whose head ends in a new trainable layer of ``n_classes`` outputs."""
    new = copy.deepcopy(model)
    for p in new.parameters():
        p.requires_grad_(False)
    last = new.head[-1]
    assert isinstance(last, nn.Linear)
    new.head[-1] = nn.Linear(last.in_features, n_classes)
    new.n_classes = n_classes
    return new.eval()


@torch.no_grad()
def frozen_features(
    model: GroupClassifier, x: torch.Tensor, mask: torch.Tensor, chunk: int = 16
) -> tuple[GroupClassifier, torch.Tensor]:
    """Encode every image once with the frozen encoder; return the model reading those features, and them.

    With the encoder frozen, in eval mode and without augmentation, its output for an
    image is the same in every epoch, so the new head is trained on features computed
    once (the same arithmetic as re-encoding each epoch, one forward instead of
    ``epochs``). The returned model's encoder is the identity on (B, N, D) features.
    """
    model.eval()
    h = torch.cat([model.features(x[i : i + chunk], mask[i : i + chunk]) for i in range(0, x.shape[0], chunk)])
    model.encoder = nn.Identity()
    return model, h


def task_metrics(task: str, y: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    """ROC-AUC, PR-AUC and accuracy of p(treated) (``treated_vs_control``); else top-1/5/10 and macro F1."""
    if task != "treated_vs_control":
        return fold_metrics(y, probs, probs.shape[1])
    both = len(set(y.tolist())) == 2
    return {
        "roc_auc": float(roc_auc_score(y, probs[:, 1])) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, probs[:, 1])) if both else float("nan"),
        "accuracy": float(np.mean(probs.argmax(axis=1) == y)),
    }


def run_task(
    data: TaskData,
    models: dict[int, GroupClassifier],
    inputs: Callable[[pl.DataFrame], tuple[torch.Tensor, torch.Tensor]],
    method: str,
    features: str,
    config: GroupTransferConfig,
    device: str = "cpu",
) -> TaskResult:
    """Train a new head on each fold's frozen model and test it on the task's groups of that fold."""
    x, mask = inputs(data.groups)
    fold_of = data.groups["fold"].to_numpy()
    rows, ys, ps = [], [], []
    for fold, base in sorted(models.items()):
        test, train = fold_of == fold, fold_of != fold
        if not test.any() or len(set(data.labels[train].tolist())) < 2:
            continue
        tr, te = torch.as_tensor(train), torch.as_tensor(test)
        model, h = frozen_features(with_new_head(base, len(data.classes)), x, mask)
        fit(model, h[tr], mask[tr], data.labels[train], config.fit_config(), device, frozen=True)
        probs = predict_groups(model, h[te], mask[te])
        ys.append(data.labels[test])
        ps.append(probs)
        for metric, value in task_metrics(data.task, data.labels[test], probs).items():
            rows.append(
                {
                    "method": method,
                    "features": features,
                    "task": data.task,
                    "fold": fold,
                    "n_train": int(train.sum()),
                    "n_test": int(test.sum()),
                    "metric": metric,
                    "value": value,
                }
            )
    df = pl.DataFrame(rows, schema=GROUP_TRANSFER_SCHEMA)
    logger.info("%s transfer %s: %s", method, data.task, df.group_by("metric").agg(pl.col("value").mean()).rows())
    k = len(data.classes)
    return TaskResult(
        df, np.concatenate(ys) if ys else np.zeros(0, int), np.concatenate(ps) if ps else np.zeros((0, k))
    )
