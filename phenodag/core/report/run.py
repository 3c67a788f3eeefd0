"""Assemble the screen report from the lake's tables: what a biologist looks at first.

Sections, in order (their ``anchor`` is the HTML id): ``growth`` (growth curves with
controls), ``gr`` (GR per dose), ``responses`` (the response type of each compound x
dose with its evidence), ``active`` (active conditions: mAP and corrected p), ``encoders``
(the encoder comparison and its winner), ``lens`` (example lens maps over their images)
and ``groups`` (the group classifier's confusion on held-out groups). A section whose
table is missing names the job that makes it. Every figure comes from rows a stage
wrote; nothing is recomputed here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from phenodag.core.report import figures
from phenodag.core.report.page import Section, render_html, summary_png
from phenodag.core.shared.images import decode_image, safe_reason, to_unit_float
from phenodag.core.shared.units import hours_label

__all__ = ["REPORT_FILE", "Report", "build_report", "log_report", "save_report"]
REPORT_FILE = "screen_report.html"

logger = logging.getLogger(__name__)
Reader = Callable[[str], pl.DataFrame]
"""Reads a lake table by name (an empty frame when it does not exist)."""
SECTIONS = ("growth", "gr", "responses", "active", "encoders", "lens", "groups")
LENS_EXAMPLES = 4
RESPONSE_COLUMNS = [
    "compound",
    "concentration_um",
    "combined_type",
    "growth_type",
    "embedding_type",
    "active",
    "activity_map",
    "min_gr_window",
    "growth_evidence",
]


@dataclass(frozen=True)
class Report:
    """The rendered report: the HTML page, the PNG summary and the sections they were made from."""

    html: str
    png: bytes | None
    sections: list[Section]
    encoder: str | None


def report_encoder(read: Reader) -> str | None:
    """Return the encoder whose calls the report shows: the comparison's winner (drug vs control ROC-AUC)."""
    calls = read("response_calls")
    have = set(calls["encoder"]) if calls.height else set()
    comparison = read("encoder_comparison")
    if comparison.height:
        ranked = comparison.drop_nulls("drug_control_roc_auc").sort("drug_control_roc_auc", descending=True)
        for encoder in ranked["encoder"]:
            if encoder in have or not have:
                return str(encoder)
    for preferred in ("convae", "classical"):
        if preferred in have:
            return preferred
    return sorted(have)[0] if have else None


def _growth(read: Reader) -> list[Section]:
    curves, gr = read("growth_curves"), read("growth_gr")
    run = "materialise growth_job (growth_curves, growth_gr)"
    return [
        Section(
            "growth",
            "Growth curves",
            "Cells per field (blob count of the classical features) per dose over time since treatment, "
            "mean over wells and plates; black: the controls.",
            figures.growth_curves(curves) if curves.height else None,
            missing=None if curves.height else f"No growth curves yet: {run}.",
        ),
        Section(
            "gr",
            "GR per dose",
            "Growth-rate inhibition over a sliding window: 1 grows like the controls, 0 (dashed) is arrest, "
            "below 0 cells die.",
            figures.gr_per_dose(gr) if gr.height else None,
            missing=None if gr.height else f"No GR values yet: {run}.",
        ),
    ]


def _responses(read: Reader, encoder: str | None) -> list[Section]:
    calls = read("response_calls")
    calls = calls.filter(pl.col("encoder") == encoder) if calls.height and encoder else calls.clear()
    activity = read("encoder_map")
    if activity.height:
        activity = activity.filter((pl.col("kind") == "activity") & (pl.col("encoder") == (encoder or "")))
    table = calls.select(RESPONSE_COLUMNS).sort("compound", "concentration_um") if calls.height else None
    active = (
        activity.select("compound", "concentration_um", "map", "corrected_p_value", "significant").sort(
            "corrected_p_value", "compound", nulls_last=True
        )
        if activity.height
        else None
    )
    n_active = int(activity["significant"].sum()) if activity.height else 0
    return [
        Section(
            "responses",
            "Response types",
            f"Combined call per compound and dose (growth decides growth effects; the {encoder} embedding adds "
            "mixed and morphology-only responses); a dot marks an active condition.",
            figures.response_grid(calls),
            table,
            missing=None if calls.height else "No response calls yet: materialise temporal_job.",
        ),
        Section(
            "active",
            "Active compounds",
            f"copairs mAP of each condition's replicate wells against the plate's controls ({encoder}); "
            f"corrected p < 0.05 is active: {n_active} of {activity.height} conditions.",
            table=active,
            missing=None if activity.height else "No activity yet: materialise compare_job.",
        ),
    ]


def _encoders(read: Reader) -> Section:
    table = read("encoder_comparison")
    if table.height == 0:
        return Section(
            "encoders", "Encoder comparison", "", missing="No comparison yet: materialise encoder_comparison_job."
        )
    ranked = table.sort("drug_control_roc_auc", descending=True, nulls_last=True)
    keep = [c for c in ("encoder", "drug_control_roc_auc", "activity_map", "share_called_active", "ari_compound")]
    return Section(
        "encoders",
        "Encoder comparison",
        f"Winner: {ranked['encoder'][0]} (drug vs control ROC-AUC on held-out wells; chance level 0.5).",
        table=ranked.select([c for c in keep if c in ranked.columns]),
    )


def _lens(read: Reader, controls: set[str]) -> Section:
    maps = read("lens_maps")
    if maps.height == 0:
        return Section("lens", "Lens maps", "", missing="No lens maps yet: materialise lens_job.")
    alpha = float(maps["alpha"].min())  # type: ignore[arg-type]
    picked = (
        maps.filter((pl.col("alpha") == alpha) & ~pl.col("class_name").is_in(sorted(controls)))
        .sort("map_max", descending=True)
        .unique("class_name", keep="first", maintain_order=True)
        .head(LENS_EXAMPLES)
    )
    images, heat, titles = [], [], []
    for r in picked.iter_rows(named=True):
        try:
            image = to_unit_float(decode_image(r["path"]))
        except (OSError, ValueError) as exc:
            logger.warning("lens example %s left out: %s", r["path"], safe_reason(exc))
            continue
        images.append(image)
        heat.append(np.asarray(r["map"], dtype=np.float32).reshape(r["map_size"], r["map_size"]))
        titles.append(f"{r['class_name']}\n{r['well']} {hours_label(r['time_h'])}")
    return Section(
        "lens",
        "Lens maps",
        f"Where the adversarial lens (α = {alpha:g}) changed each image most to hide its compound from the "
        "classifier: per treated compound, its image with the strongest map.",
        figures.lens_examples(images, heat, titles),
    )


def _groups(read: Reader) -> Section:
    metrics, predictions = read("group_cv_metrics"), read("group_cv_predictions")
    if metrics.height == 0 or predictions.height == 0:
        return Section("groups", "Group classifier", "", missing="No group results yet: materialise groups_job.")
    best = (
        metrics.group_by("method", "features", "variant")
        .agg(pl.col("top1_accuracy").mean())
        .sort("top1_accuracy", descending=True)
        .row(0, named=True)
    )
    mine = predictions.filter(
        (pl.col("method") == best["method"])
        & (pl.col("features") == best["features"])
        & (pl.col("variant") == best["variant"])
    )
    n = mine["true_class"].n_unique()
    return Section(
        "groups",
        "Group classifier",
        f"Confusion of {best['method']} ({best['features']}) on held-out groups: top-1 accuracy "
        f"{best['top1_accuracy']:.2f} (chance level {1 / max(n, 1):.2f}, {n} compounds).",
        figures.confusion(mine),
    )


def build_report(read: Reader, title: str = "phenodag screen report") -> Report:
    """Build the report from the tables ``read`` returns; sections without tables say which job to run."""
    encoder = report_encoder(read)
    raw = read("raw_images")
    plates = sorted(set(raw["plate_id"])) if raw.height else []
    subtitle = f"{len(plates)} plate(s): {', '.join(plates[:8])}{'…' if len(plates) > 8 else ''}; " + (
        f"{raw.height} images, {raw['compound'].n_unique()} compounds." if raw.height else "no images ingested."
    )
    controls = set(raw.filter(pl.col("is_control"))["compound"]) if raw.height else set()
    sections = [*_growth(read), *_responses(read, encoder), _encoders(read), _lens(read, controls), _groups(read)]
    return Report(render_html(title, subtitle, sections), summary_png(sections), sections, encoder)


def log_report(report: Report) -> None:
    """Record ``report`` in the active MLflow run: the page as :data:`REPORT_FILE` (the UI renders it)."""
    import mlflow

    mlflow.log_text(report.html, REPORT_FILE)


def save_report(report: Report, lake_root: str) -> Path | None:
    """Write the page to ``<lake_root>/reports/`` by one rename (a reader never sees half a page); None off disk.

    Written last by the caller: a file on disk means the whole report is done. An
    object-store lake keeps the page in MLflow only.
    """
    if "://" in lake_root:
        return None
    folder = Path(lake_root) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{REPORT_FILE}.partial"
    partial.write_text(report.html)
    return partial.replace(folder / REPORT_FILE)
