"""Every stage's answer on a simulated screen beside the planted truth and the chance level: the truth block.

What the demo prints at its end and ``benchmarks/validate.py`` averages over seeds. One
row per stage and metric, with the value, its chance level (what an answer without
information scores) and the goal of the answers issue where one is set:

- ``temporal``: ARI and share right of the embedding, growth and combined calls against
  the planted types (``response_calls`` of ``encoder``; chance: ARI 0, share right of
  always calling the most common type), and the combined call's recall per planted type;
- ``morphology``: morphology-only conditions at the top dose called active, and the
  false positives among planted no-effect conditions;
- ``compare``: which encoder tells treated wells from controls best and by how much
  (ROC-AUC margin over the next), each encoder's drug-vs-control ROC-AUC (chance 0.5) and
  the fraction of active conditions it calls active;
- ``lens``: per α, the importance maps' AUROC against the planted signature masks (chance
  0.5) and the held-out top-1 through the lens (chance 1 / classes);
- ``groups``: held-out top-1 of each method (chance 1 / compounds), transfer (the
  ``product`` method: top-1 per task against always answering the task's commonest class,
  ROC-AUC of treated vs control) and robustness (top-1 kept under each perturbation's
  strongest level, over the clean top-1).

A metric whose tables are missing or empty is left out, never written as 0.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from phenodag.core.temporal.evaluate import call_agreement, morphology_detection, with_planted

Reader = Callable[[str], pl.DataFrame]
"""Return a lake table by name (empty where it does not exist)."""

TRUTH_SCHEMA = {
    "stage": pl.String,
    "metric": pl.String,
    "value": pl.Float64,
    "chance": pl.Float64,
    "goal": pl.String,
}
GOALS = {
    ("temporal", "combined ARI"): ">= 0.8",
    ("morphology", "top-dose morphology-only called active"): ">= 0.8",
    ("morphology", "no-effect called active (false positives)"): "<= 0.1",
    ("lens", "map AUROC vs signature masks, alpha 0"): ">= 0.75",
    ("groups", "top-1 product"): ">= 2.5x chance",
}
"""The answers issue's goals, by (stage, metric)."""


def _row(stage: str, metric: str, value: float | None, chance: float | None = None) -> dict[str, object]:
    return {"stage": stage, "metric": metric, "value": value, "chance": chance, "goal": GOALS.get((stage, metric))}


def _temporal(read: Reader, encoder: str) -> list[dict[str, object]]:
    calls, truth = read("response_calls"), read("sim_truth")
    calls = calls.filter(pl.col("encoder") == encoder)
    if calls.height == 0 or truth.height == 0:
        return []
    rows = []
    for r in call_agreement(calls, truth).iter_rows(named=True):
        rows.append(_row("temporal", f"{r['call']} ARI", r["ari"], 0.0))
        rows.append(_row("temporal", f"{r['call']} share right", r["share_right"], r["chance_share_right"]))
    joined = with_planted(calls, truth)
    for planted, group in joined.group_by("planted_combined", maintain_order=True):
        right = float((group["combined_type"] == planted[0]).mean())
        rows.append(_row("temporal", f"combined recall {planted[0]} (n={group.height})", right))
    found = morphology_detection(calls, truth)
    rows.append(_row("morphology", "top-dose morphology-only called active", found["detected"]))
    rows.append(_row("morphology", "no-effect called active (false positives)", found["false_positive"]))
    return sorted(rows, key=lambda r: (r["stage"] != "temporal", str(r["metric"])))


def _compare(read: Reader) -> list[dict[str, object]]:
    table = read("encoder_comparison")
    if table.height == 0:
        return []
    ranked = table.drop_nulls("drug_control_roc_auc").sort("drug_control_roc_auc", descending=True)
    rows = []
    if ranked.height > 1:  # the winner's name is in the rows below, sorted best first
        margin = ranked["drug_control_roc_auc"][0] - ranked["drug_control_roc_auc"][1]
        rows.append(_row("compare", "ROC-AUC of the best encoder minus the next", margin))
    for r in table.sort("drug_control_roc_auc", descending=True, nulls_last=True).iter_rows(named=True):
        rows.append(_row("compare", f"drug vs control ROC-AUC {r['encoder']}", r["drug_control_roc_auc"], 0.5))
        rows.append(_row("compare", f"active conditions called active {r['encoder']}", r["fraction_active"]))
    return rows


def _lens(read: Reader) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    lens = read("lens_metrics")
    if lens.height == 0:
        return rows
    for r in lens.sort("alpha").iter_rows(named=True):
        alpha = f"{r['alpha']:g}"
        rows.append(_row("lens", f"map AUROC vs signature masks, alpha {alpha}", r["map_signature_auroc"], 0.5))
        chance = 1.0 / r["n_classes"] if r["n_classes"] else None
        rows.append(_row("lens", f"held-out top-1 through the lens, alpha {alpha}", r["top1_lensed"], chance))
    return rows


def _groups(read: Reader) -> list[dict[str, object]]:
    metrics, groups = read("group_cv_metrics"), read("image_groups")
    if metrics.height == 0:
        return []
    screen = groups.filter((pl.col("group_set") == "screen") & pl.col("fold").is_not_null())
    chance = 1.0 / screen["compound"].n_unique() if screen.height else None
    rows = []
    top1 = metrics.filter(pl.col("variant") == "all").group_by("method").agg(pl.col("top1_accuracy").mean())
    for method, value in top1.sort("top1_accuracy", descending=True).iter_rows():
        rows.append(_row("groups", f"top-1 {method}", value, chance))
    transfer = read("group_transfer")
    robust = read("group_robustness")
    if transfer.height == 0 or robust.height == 0:
        return rows
    shown = transfer.filter(pl.col("method") == "product").filter(
        ((pl.col("task") == "treated_vs_control") & (pl.col("metric") == "roc_auc"))
        | ((pl.col("task") != "treated_vs_control") & (pl.col("metric") == "top1_accuracy"))
    )
    chances = _transfer_chances(groups, read("sim_truth"))
    for task, metric, value in shown.group_by("task", "metric").agg(pl.col("value").mean()).sort("task").iter_rows():
        chance = 0.5 if metric == "roc_auc" else chances.get(task)
        rows.append(_row("transfer", f"product {task} {metric}", value, chance))
    robust = robust.filter((pl.col("method") == "product") & (pl.col("perturbation") != "none"))
    strongest = robust.filter(pl.col("level") == pl.col("level").max().over("perturbation"))
    for perturbation, level, kept in (
        strongest.group_by("perturbation", "level").agg(pl.col("retained").mean()).sort("perturbation").iter_rows()
    ):
        rows.append(_row("robustness", f"product top-1 kept under {perturbation} {level:g}", kept))
    return rows


def _transfer_chances(groups: pl.DataFrame, sim_truth: pl.DataFrame) -> dict[str, float]:
    """Top-1 of always answering each transfer task's commonest class (its classes are not balanced)."""
    from phenodag.core.groups.run import class_subsets
    from phenodag.core.groups.transfer import task_data
    from phenodag.core.shared.vocab import TRANSFER_TASKS

    types = class_subsets(sim_truth) if sim_truth.height else {}
    chances = {}
    for task in TRANSFER_TASKS:
        data = task_data(task, groups, types)
        if data is not None:
            chances[task] = float(np.bincount(data.labels).max() / len(data.labels))
    return chances


def truth_block(read: Reader, encoder: str = "convae") -> pl.DataFrame:
    """Return every stage's agreement with the planted truth (module docstring), one row per metric.

    Parameters
    ----------
    read
        Returns a lake table by name, empty where it does not exist.
    encoder
        The encoder whose response calls are scored (the one the demo trains).
    """
    rows = [*_temporal(read, encoder), *_compare(read), *_lens(read), *_groups(read)]
    return pl.DataFrame(rows, schema=TRUTH_SCHEMA)


def truth_markdown(block: pl.DataFrame) -> str:
    """Render a truth block (or ``validate``'s mean ± sd table) as a markdown table."""
    cols = block.columns
    lines = ["| " + " | ".join(cols) + " |", "|" + " --- |" * len(cols)]
    for row in block.iter_rows():
        cells = ["" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v)) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
