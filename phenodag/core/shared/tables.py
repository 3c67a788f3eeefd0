"""The lake's tables: the public contract that other tools read, in one module.

Every table phenodag writes is declared here once: its columns and polars types, the
columns it is partitioned by on disk (the same as its Dagster partitions), the stage
that writes it and one line on what a row is. Stages build their frames with these
schemas; ``docs/tables.md`` is rendered from :data:`TABLES` (a test keeps the two
equal). Column names are snake_case; exports for pycytominer/copairs rename them to
their ``Metadata_*`` convention.

Columns and types live in :mod:`phenodag.core.shared.schemas`. The tables of the SQL
models (``plate_summary``, ``well_timecourse``) are defined by
their ``dbt_like_sql/*.sql`` files and are listed in the docs from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from phenodag.core.shared.group_schemas import (
    GROUP_CV_CONFIGURATIONS_SCHEMA,
    GROUP_CV_IMAGES_SCHEMA,
    GROUP_CV_METRICS_SCHEMA,
    GROUP_CV_PREDICTIONS_SCHEMA,
    GROUP_CV_SUBSETS_SCHEMA,
    GROUP_ROBUSTNESS_SCHEMA,
    GROUP_TRANSFER_SCHEMA,
    IMAGE_GROUPS_SCHEMA,
)
from phenodag.core.shared.schemas import (
    EMBEDDINGS_SCHEMA,
    ENCODER_CLASSIFICATION_SCHEMA,
    ENCODER_CLUSTERING_SCHEMA,
    ENCODER_COMPARISON_SCHEMA,
    ENCODER_MAP_SCHEMA,
    ENCODER_SIMILARITY_SCHEMA,
    GROWTH_CURVES_SCHEMA,
    GROWTH_GR_SCHEMA,
    GROWTH_METRICS_SCHEMA,
    LENS_CORRECTIONS_SCHEMA,
    LENS_MAPS_SCHEMA,
    LENS_METRICS_SCHEMA,
    PLATES_SCHEMA,
    QUARANTINE_SCHEMA,
    RAW_IMAGES_SCHEMA,
    RESPONSE_CALLS_SCHEMA,
    RESPONSE_SWITCHES_SCHEMA,
    SIM_MASKS_SCHEMA,
    SIM_TRUTH_SCHEMA,
    TEMPORAL_CLUSTERS_SCHEMA,
    TEMPORAL_K_SCAN_SCHEMA,
    TEMPORAL_SWITCHES_SCHEMA,
    TEMPORAL_TRAJECTORIES_SCHEMA,
    VECTOR,
    WELL_EMBEDDINGS_SCHEMA,
    Schema,
)


@dataclass(frozen=True)
class Table:
    """One lake table: name, schema, on-disk partition columns, writing stage, what a row is."""

    name: str
    schema: Schema
    partition_by: tuple[str, ...]
    stage: str
    row: str


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table("raw_images", RAW_IMAGES_SCHEMA, ("plate_id",), "ingest", "one image that landed"),
        Table("quarantine", QUARANTINE_SCHEMA, ("plate_id",), "ingest", "one file (or plate) that could not land"),
        Table("plates", PLATES_SCHEMA, ("plate_id",), "ingest", "one plate: layout, counts, fingerprint"),
        Table("sim_truth", SIM_TRUTH_SCHEMA, ("plate_id",), "simulate", "one simulated condition's planted truth"),
        Table("sim_masks", SIM_MASKS_SCHEMA, ("plate_id",), "simulate", "one simulated image's truth mask file"),
        Table("embeddings", EMBEDDINGS_SCHEMA, ("encoder", "plate_id"), "embed", "one vector per image field"),
        Table(
            "well_embeddings", WELL_EMBEDDINGS_SCHEMA, ("encoder", "plate_id"), "embed", "mean vector per well, time"
        ),
        Table(
            "temporal_trajectories", TEMPORAL_TRAJECTORIES_SCHEMA, ("encoder",), "temporal", "one condition at one time"
        ),
        Table("growth_curves", GROWTH_CURVES_SCHEMA, (), "temporal", "one well at one time: its mean confluence"),
        Table("growth_gr", GROWTH_GR_SCHEMA, (), "temporal", "one condition on one plate at one time: its GR"),
        Table("growth_metrics", GROWTH_METRICS_SCHEMA, (), "temporal", "one cell line x compound: GR50, GRmax, GR_AOC"),
        Table(
            "temporal_clusters", TEMPORAL_CLUSTERS_SCHEMA, ("encoder",), "temporal", "one condition's cluster and type"
        ),
        Table("temporal_k_scan", TEMPORAL_K_SCAN_SCHEMA, ("encoder",), "temporal", "one k of the DTW k-means scan"),
        Table(
            "temporal_switches", TEMPORAL_SWITCHES_SCHEMA, ("encoder",), "temporal", "one compound whose type switches"
        ),
        Table(
            "response_calls", RESPONSE_CALLS_SCHEMA, ("encoder",), "temporal", "one condition: its three response calls"
        ),
        Table(
            "response_switches",
            RESPONSE_SWITCHES_SCHEMA,
            ("encoder",),
            "temporal",
            "one compound whose combined call switches",
        ),
        Table(
            "encoder_similarity",
            ENCODER_SIMILARITY_SCHEMA,
            ("encoder",),
            "compare",
            "one treatment and distance metric",
        ),
        Table(
            "encoder_clustering", ENCODER_CLUSTERING_SCHEMA, ("encoder",), "compare", "one UMAP + HDBSCAN sweep point"
        ),
        Table("encoder_classification", ENCODER_CLASSIFICATION_SCHEMA, ("encoder",), "compare", "one held-out fold"),
        Table("encoder_map", ENCODER_MAP_SCHEMA, ("encoder",), "compare", "one condition (activity) or response type"),
        Table("encoder_comparison", ENCODER_COMPARISON_SCHEMA, (), "compare", "one encoder's headline of every block"),
        Table("lens_maps", LENS_MAPS_SCHEMA, ("alpha_key",), "lens", "one held-out image's importance map at one α"),
        Table("lens_metrics", LENS_METRICS_SCHEMA, ("alpha_key",), "lens", "one α: held-out metrics, map scores"),
        Table("lens_corrections", LENS_CORRECTIONS_SCHEMA, ("alpha_key",), "lens", "one mined correction at one α"),
        Table("image_groups", IMAGE_GROUPS_SCHEMA, (), "groups", "one group of images and its fold"),
        Table(
            "group_cv_predictions", GROUP_CV_PREDICTIONS_SCHEMA, ("method",), "groups", "one held-out group's ranking"
        ),
        Table("group_cv_metrics", GROUP_CV_METRICS_SCHEMA, ("method",), "groups", "one method, variant and fold"),
        Table("group_cv_images", GROUP_CV_IMAGES_SCHEMA, ("method",), "groups", "one held-out image's prediction"),
        Table(
            "group_cv_configurations",
            GROUP_CV_CONFIGURATIONS_SCHEMA,
            ("method",),
            "groups",
            "one configuration per fold",
        ),
        Table("group_cv_subsets", GROUP_CV_SUBSETS_SCHEMA, ("method",), "groups", "one class subset per fold"),
        Table("group_transfer", GROUP_TRANSFER_SCHEMA, (), "groups", "one method, task, fold and metric"),
        Table("group_robustness", GROUP_ROBUSTNESS_SCHEMA, (), "groups", "one method, perturbation level and fold"),
    )
}
"""Every table written by a stage's core code, by name (the Dagster asset key is the same name)."""


def read_known(
    lake_root: str,
    name: str,
    filters: Mapping[str, Any] | None = None,
    storage_options: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Read lake table ``name``, or an empty frame of its registered schema when it does not exist yet."""
    from phenodag.core.shared.lake import read_table_or_empty

    return read_table_or_empty(
        lake_root, name, TABLES[name].schema, dict(filters) if filters else None, storage_options
    )


def _type_name(dtype: Any) -> str:
    return "array<float32, dim>" if dtype == VECTOR else str(dtype)


def contract_markdown() -> str:
    """Render :data:`TABLES` as the markdown of ``docs/tables.md`` (below its hand-written header)."""
    lines: list[str] = []
    for t in TABLES.values():
        part = ", ".join(f"`{c}`" for c in t.partition_by) or "none (rewritten whole)"
        lines += [f"## `{t.name}`", "", f"One row = {t.row}. Stage `{t.stage}`; partitioned by {part}.", ""]
        lines += ["| column | type |", "| --- | --- |"]
        lines += [f"| `{c}` | {_type_name(d)} |" for c, d in t.schema.items()]
        lines.append("")
    return "\n".join(lines)
