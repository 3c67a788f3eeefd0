"""The stages that reuse the saved fold models: transfer to new tasks, robustness to perturbations.

Both read the fold models ``group_cv`` saved (:mod:`.store`) for every method, feed them
the inputs their feature source names (images, or the frozen encoder's vectors), and
return one table plus its figures. MLflow: one run per method, nested in the caller's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import mlflow
import numpy as np
import polars as pl
import torch

from phenodag.core.embed.registry import Encoder
from phenodag.core.groups.config import GroupRobustnessConfig, GroupTransferConfig, feature_encoder
from phenodag.core.groups.features import GroupInputs, load_inputs
from phenodag.core.groups.figures import robustness_lines, roc_pr_curves
from phenodag.core.groups.models import GroupClassifier
from phenodag.core.groups.robustness import perturbed_inputs, robustness_rows
from phenodag.core.groups.store import FoldModelInfo, load_method_models
from phenodag.core.groups.transfer import run_task, task_data
from phenodag.core.shared.group_schemas import GROUP_ROBUSTNESS_SCHEMA, GROUP_TRANSFER_SCHEMA
from phenodag.core.shared.vocab import TRANSFER_TASKS

logger = logging.getLogger(__name__)

EmbeddingsFor = Callable[[str], pl.DataFrame]
"""Encoder name → its rows of ``embeddings`` (path, weights_id, vector)."""


def _models(model_dir: str | Path, method: str) -> tuple[dict[int, GroupClassifier], FoldModelInfo] | None:
    saved = load_method_models(model_dir, method)
    if not saved:
        logger.warning("%s: no saved fold models in %s; materialise group_cv for it", method, model_dir)
        return None
    infos = {info.features for _, info in saved.values()}
    if len(infos) > 1:
        raise ValueError(f"{method}: fold models of several feature sources {sorted(infos)}; re-run group_cv")
    return {fold: model for fold, (model, _) in saved.items()}, next(iter(saved.values()))[1]


def _inputs(groups: pl.DataFrame, info: FoldModelInfo, embeddings_for: EmbeddingsFor, threads: int) -> GroupInputs:
    encoder = feature_encoder(info.features)
    emb = embeddings_for(encoder) if encoder else None
    inputs = load_inputs(groups, info.features, info.image_size, emb, threads, info.normalisation)
    if inputs.weights_id != info.weights_id:
        raise ValueError(
            f"{info.method}: models trained on vectors of weights {info.weights_id}, "
            f"the lake holds {inputs.weights_id}; re-run group_cv"
        )
    return inputs


def _log(method: str, rows: pl.DataFrame, keys: list[str], value: str, figures: dict[str, bytes]) -> None:
    """Log the mean over folds of ``value`` per ``keys`` (metric ``key1.key2``) and the figures."""
    from phenodag.core.shared.figures import png_image

    parent = mlflow.active_run()
    exp = parent.info.experiment_id if parent else None
    with mlflow.start_run(run_name=method, nested=parent is not None, experiment_id=exp):
        means = rows.group_by(keys).agg(pl.col(value).mean())
        for row in means.iter_rows():
            name = ".".join(str(v) for v in row[:-1]).replace("@", ":")
            if row[-1] is not None and np.isfinite(row[-1]):
                mlflow.log_metric(name, float(row[-1]))
        for name, png in figures.items():
            mlflow.log_image(png_image(png), f"{name}.png")


def run_transfer(
    image_groups: pl.DataFrame,
    response_types: dict[str, str],
    model_dir: str | Path,
    methods: list[str],
    config: GroupTransferConfig,
    embeddings_for: EmbeddingsFor,
    device: str = "cpu",
    threads: int = 2,
) -> tuple[pl.DataFrame, dict[str, bytes]]:
    """Every transfer task of every method with saved models: the ``group_transfer`` rows and ROC/PR figures.

    A task's inputs are loaded once per feature source and shared by its methods.
    """
    frames, figures = [], {}
    loaded: dict[tuple[str, str, int, str], tuple[torch.Tensor, torch.Tensor]] = {}
    tasks = [d for t in TRANSFER_TASKS if (d := task_data(t, image_groups, response_types)) is not None]
    for method in methods:
        found = _models(model_dir, method)
        if found is None:
            continue
        models, info = found
        method_rows, method_figures = [], {}
        for data in tasks:

            def inputs(
                groups: pl.DataFrame, info: FoldModelInfo = info, task: str = data.task
            ) -> tuple[torch.Tensor, torch.Tensor]:
                key = (info.features, info.weights_id, info.image_size, task)
                if key not in loaded:
                    got = _inputs(groups, info, embeddings_for, threads)
                    loaded[key] = (got.x, got.mask)
                return loaded[key]

            result = run_task(data, models, inputs, method, info.features, config, device)
            method_rows.append(result.rows)
            if data.task == "treated_vs_control" and len(set(result.labels.tolist())) == 2:
                png = roc_pr_curves(result.labels, result.probabilities[:, 1], f"{method}: treated vs control")
                method_figures[f"{method}_treated_vs_control"] = png
        rows = pl.concat(method_rows) if method_rows else pl.DataFrame(schema=GROUP_TRANSFER_SCHEMA)
        _log(method, rows, ["task", "metric"], "value", method_figures)
        frames.append(rows)
        figures.update(method_figures)
    return (pl.concat(frames) if frames else pl.DataFrame(schema=GROUP_TRANSFER_SCHEMA)), figures


def run_robustness(
    image_groups: pl.DataFrame,
    model_dir: str | Path,
    methods: list[str],
    config: GroupRobustnessConfig,
    embeddings_for: EmbeddingsFor,
    encoder_for: Callable[[str], Encoder],
    threads: int = 2,
) -> tuple[pl.DataFrame, dict[str, bytes]]:
    """Held-out top-1 of every method under every perturbation: ``group_robustness`` rows and line plots.

    Perturbed inputs are computed once per feature source and shared by its methods.
    """
    groups = image_groups.filter(pl.col("group_set") == "screen")
    paths = groups["paths"].to_list()
    perturbers: dict[str, Callable[[str, float], torch.Tensor]] = {}
    frames = []
    for method in methods:
        found = _models(model_dir, method)
        if found is None:
            continue
        models, info = found
        inputs = _inputs(groups, info, embeddings_for, threads)
        if info.features not in perturbers:
            name = feature_encoder(info.features)
            encoder = encoder_for(name) if name else None
            perturbers[info.features] = perturbed_inputs(inputs, paths, encoder, config.seed)
        rows = robustness_rows(
            method, models, info.classes, info.features, groups, inputs.mask, perturbers[info.features], config
        )
        _log(method, rows, ["perturbation", "level"], "accuracy", {})
        frames.append(rows)
    table = pl.concat(frames) if frames else pl.DataFrame(schema=GROUP_ROBUSTNESS_SCHEMA)
    return table, robustness_lines(line_data(table))


def line_data(table: pl.DataFrame) -> dict[str, dict[str, tuple[list[float], list[float]]]]:
    """Perturbation → method → (levels, mean top-1 over folds), each line starting at the clean score (level 0)."""
    means = table.group_by("method", "perturbation", "level").agg(pl.col("accuracy").mean()).sort("level")
    out: dict[str, dict[str, tuple[list[float], list[float]]]] = {}
    for (method,), rows in means.group_by(["method"], maintain_order=True):
        clean = rows.filter(pl.col("perturbation") == "none")["accuracy"]
        for kind in ("blur", "noise", "duplicates"):
            part = rows.filter(pl.col("perturbation") == kind)
            if part.height:
                levels = [0.0, *part["level"].to_list()]
                acc = [float(clean[0]) if clean.len() else float("nan"), *part["accuracy"].to_list()]
                out.setdefault(kind, {})[str(method)] = (levels, acc)
    return out
