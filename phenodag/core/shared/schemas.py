"""The columns and polars types of every lake table, defined once.

:mod:`phenodag.core.shared.tables` registers them (partitioning, writing stage, what a
row is) and renders ``docs/tables.md`` from the registry; the group stage's tables are in
:mod:`phenodag.core.shared.group_schemas`. Vectors
(``embeddings.vector``, ``well_embeddings.vector``) are ``pl.Array(pl.Float32, dim)``
in memory; Delta has no fixed-size list, so the lake stores them as ``list<float32>``
of constant length (see :func:`phenodag.core.embed.pipeline.read_embeddings`).
"""

from __future__ import annotations

from typing import Any

import polars as pl

Schema = dict[str, Any]

CONDITION = ["cell_line", "compound", "concentration_um"]
"""The key of a treatment condition (one trajectory, one truth row per plate)."""
WELL_TREATMENT = ["plate_id", "well", *CONDITION, "is_control"]
"""A well and its treatment: the columns of ``raw_images`` that analyses join on."""

VECTOR = pl.Array(pl.Float32, 0)
"""Placeholder type of a vector column in :data:`TABLES`; the real one has the encoder's length."""

RAW_IMAGES_SCHEMA: Schema = {
    "plate_id": pl.String,
    "well": pl.String,
    "row": pl.String,
    "col": pl.Int32,
    "site": pl.Int32,
    "cell_line": pl.String,
    "compound": pl.String,
    "concentration_um": pl.Float64,
    "is_control": pl.Boolean,
    "replicate": pl.Int32,
    "time_h": pl.Float64,
    "acquired_at": pl.Datetime("us"),
    "path": pl.String,
    "sha256": pl.String,
    "width": pl.Int32,
    "height": pl.Int32,
    "bit_depth": pl.Int32,
    "status": pl.String,
    "landed_at": pl.Datetime("us", "UTC"),
}
QUARANTINE_SCHEMA: Schema = {
    "plate_id": pl.String,
    "path": pl.String,
    "kind": pl.String,
    "reason": pl.String,
    "detected_at": pl.Datetime("us", "UTC"),
}
PLATES_SCHEMA: Schema = {
    "plate_id": pl.String,
    "status": pl.String,
    "layout": pl.String,
    "source_dir": pl.String,
    "n_images": pl.Int32,
    "n_new": pl.Int32,
    "n_quarantined": pl.Int32,
    "n_skipped": pl.Int32,
    "n_wells": pl.Int32,
    "n_sites": pl.Int32,
    "n_timepoints": pl.Int32,
    "fingerprint": pl.String,
    "ingested_at": pl.Datetime("us", "UTC"),
}
SIM_TRUTH_SCHEMA: Schema = {
    "plate_id": pl.String,
    "cell_line": pl.String,
    "compound": pl.String,
    "concentration_um": pl.Float64,
    "is_control": pl.Boolean,
    "profile": pl.String,
    "response_type": pl.String,
    "onset_h": pl.Float64,
    "strength": pl.Float64,
    "signature_id": pl.String,
    "signature_kind": pl.String,
    "signature_min_conc_um": pl.Float64,
    "signature_from_h": pl.Float64,
}
IMAGE_KEY_SCHEMA: Schema = {
    "plate_id": pl.String,
    "well": pl.String,
    "site": pl.Int32,
    "time_h": pl.Float64,
    "path": pl.String,
}
"""The columns that name one image (a field at one time) in the tables that point at images."""
SIM_MASKS_SCHEMA: Schema = {
    **IMAGE_KEY_SCHEMA,
    "mask_path": pl.String,
    "cell_fraction": pl.Float64,
    "signature_fraction": pl.Float64,
}
EMBEDDINGS_SCHEMA: Schema = {
    "plate_id": pl.String,
    "well": pl.String,
    "site": pl.Int32,
    "time_h": pl.Float64,
    "tile": pl.Int32,
    "sha256": pl.String,
    "path": pl.String,
    "encoder": pl.String,
    "weights_id": pl.String,
    "preprocess": pl.String,
    "vector": VECTOR,
}
WELL_EMBEDDINGS_SCHEMA: Schema = {
    "encoder": pl.String,
    "weights_id": pl.String,
    "plate_id": pl.String,
    "well": pl.String,
    "time_h": pl.Float64,
    "n_fields": pl.UInt32,
    "vector": VECTOR,
}
TEMPORAL_TRAJECTORIES_SCHEMA: Schema = {
    "cell_line": pl.String,
    "compound": pl.String,
    "concentration_um": pl.Float64,
    "encoder": pl.String,
    "time_h": pl.Float64,
    "distance": pl.Float64,
    "n_wells": pl.UInt32,
    "n_control_wells": pl.UInt32,
    "control_time_h": pl.Float64,
    "noise_floor": pl.Float64,
    "excess": pl.Float64,
}
TEMPORAL_CLUSTERS_SCHEMA: Schema = {
    "cell_line": pl.String,
    "compound": pl.String,
    "concentration_um": pl.Float64,
    "encoder": pl.String,
    "cluster": pl.Int32,
    "response_type": pl.String,
    "distance_to_centroid": pl.Float64,
    "effect_size": pl.Float64,
}
SCAN_SCHEMA: Schema = {"k": pl.Int64, "inertia": pl.Float64, "silhouette": pl.Float64, "shapes": pl.Int64}
TEMPORAL_K_SCAN_SCHEMA: Schema = {**SCAN_SCHEMA, "encoder": pl.String, "chosen": pl.Boolean}
TEMPORAL_SWITCHES_SCHEMA: Schema = {
    "cell_line": pl.String,
    "compound": pl.String,
    "encoder": pl.String,
    "types_by_concentration": pl.String,
    "switch": pl.String,
}
RESPONSE_SWITCHES_SCHEMA: Schema = TEMPORAL_SWITCHES_SCHEMA
"""The combined call's concentration switches have the embedding call's columns."""
RESPONSE_CALLS_SCHEMA: Schema = {
    "cell_line": pl.String,
    "compound": pl.String,
    "concentration_um": pl.Float64,
    "encoder": pl.String,
    "cluster": pl.Int32,
    "embedding_type": pl.String,
    "effect_size": pl.Float64,
    "activity_map": pl.Float64,
    "active": pl.Boolean,
    "growth_type": pl.String,
    "min_gr_window": pl.Float64,
    "last_gr_window": pl.Float64,
    "growth_evidence": pl.String,
    "combined_type": pl.String,
}
GROWTH_CURVES_SCHEMA: Schema = {
    "plate_id": pl.String,
    "well": pl.String,
    "cell_line": pl.String,
    "compound": pl.String,
    "concentration_um": pl.Float64,
    "is_control": pl.Boolean,
    "time_h": pl.Float64,
    "confluence": pl.Float64,
    "cell_count": pl.Float64,
    "n_fields": pl.UInt32,
}
GROWTH_GR_SCHEMA: Schema = {
    "plate_id": pl.String,
    "cell_line": pl.String,
    "compound": pl.String,
    "concentration_um": pl.Float64,
    "time_h": pl.Float64,
    "confluence": pl.Float64,
    "cell_count": pl.Float64,
    "control_confluence": pl.Float64,
    "control_cell_count": pl.Float64,
    "n_wells": pl.UInt32,
    "n_control_wells": pl.UInt32,
    "gr": pl.Float64,
    "gr_window": pl.Float64,
}
GROWTH_METRICS_SCHEMA: Schema = {
    "cell_line": pl.String,
    "compound": pl.String,
    "time_h": pl.Float64,
    "n_doses": pl.Int64,
    "gr50_um": pl.Float64,
    "gr_max": pl.Float64,
    "gr_aoc": pl.Float64,
    "gr_inf": pl.Float64,
    "gec50_um": pl.Float64,
    "hill": pl.Float64,
}
ENCODER_SIMILARITY_SCHEMA: Schema = {
    "encoder": pl.String,
    "cell_line": pl.String,
    "compound": pl.String,
    "concentration_um": pl.Float64,
    "metric": pl.String,
    "n_wells": pl.Int32,
    "median_distance": pl.Float64,
    "similarity": pl.Float64,
}
ENCODER_CLUSTERING_SCHEMA: Schema = {
    "encoder": pl.String,
    "cell_line": pl.String,
    "n_neighbors": pl.Int32,
    "n_profiles": pl.Int32,
    "n_clusters": pl.Int32,
    "noise_fraction": pl.Float64,
    "silhouette": pl.Float64,
    "davies_bouldin": pl.Float64,
    "calinski_harabasz": pl.Float64,
    "ari_compound": pl.Float64,
    "ari_response": pl.Float64,
}
ENCODER_CLASSIFICATION_SCHEMA: Schema = {
    "encoder": pl.String,
    "cell_line": pl.String,
    "compound": pl.String,
    "concentration_um": pl.Float64,
    "held_out": pl.String,
    "fold": pl.Int32,
    "n_train": pl.Int32,
    "n_test": pl.Int32,
    "accuracy": pl.Float64,
    "f1": pl.Float64,
    "roc_auc": pl.Float64,
}
ENCODER_MAP_SCHEMA: Schema = {
    "encoder": pl.String,
    "kind": pl.String,
    "cell_line": pl.String,
    "group": pl.String,
    "compound": pl.String,
    "concentration_um": pl.Float64,
    "planted": pl.String,
    "map": pl.Float64,
    "p_value": pl.Float64,
    "corrected_p_value": pl.Float64,
    "significant": pl.Boolean,
}
LENS_MAPS_SCHEMA: Schema = {
    "alpha_key": pl.String,
    "alpha": pl.Float64,
    **IMAGE_KEY_SCHEMA,
    "class_name": pl.String,
    "pred_original": pl.String,
    "p_true_original": pl.Float64,
    "pred_lensed": pl.String,
    "p_true_lensed": pl.Float64,
    "map_size": pl.Int32,
    "map": VECTOR,
    "map_mean": pl.Float64,
    "map_max": pl.Float64,
    "map_mass_in_cells": pl.Float64,
    "map_signature_auroc": pl.Float64,
}
LENS_METRICS_SCHEMA: Schema = {
    "alpha_key": pl.String,
    "alpha": pl.Float64,
    "convae_id": pl.String,
    "steps": pl.Int64,
    "n_classes": pl.Int64,
    "n_train_images": pl.Int64,
    "n_held_out_images": pl.Int64,
    **{
        f"{m}_{view}": pl.Float64
        for view in ("original", "lensed")
        for m in ("top1", "top3", "f1", "recall", "precision")
    },
    "map_signature_auroc": pl.Float64,
    "map_mass_in_cells": pl.Float64,
    "rec_loss": pl.Float64,
    "disc_loss": pl.Float64,
    "mlflow_run": pl.String,
}
LENS_CORRECTIONS_SCHEMA: Schema = {
    "alpha_key": pl.String,
    "alpha": pl.Float64,
    "case": pl.String,
    **IMAGE_KEY_SCHEMA,
    "class_name": pl.String,
    "pred_original": pl.String,
    "pred_lensed": pl.String,
    "p_true_original": pl.Float64,
    "p_true_lensed": pl.Float64,
    "gain": pl.Float64,
}
ENCODER_COMPARISON_SCHEMA: Schema = {
    "encoder": pl.String,
    "weights_id": pl.String,
    "preprocess": pl.String,
    "replicate_similarity_cosine": pl.Float64,
    "best_silhouette": pl.Float64,
    "ari_compound": pl.Float64,
    "ari_response": pl.Float64,
    "noise_fraction": pl.Float64,
    "drug_control_accuracy": pl.Float64,
    "drug_control_f1": pl.Float64,
    "drug_control_roc_auc": pl.Float64,
    "activity_map": pl.Float64,
    "share_called_active": pl.Float64,
    "fraction_active": pl.Float64,
    "false_positive_rate": pl.Float64,
    "fraction_active_growth": pl.Float64,
    "fraction_active_morphology": pl.Float64,
    "consistency_map": pl.Float64,
}


def with_dim(schema: Schema, dim: int) -> Schema:
    """Return ``schema`` with its vector column typed for vectors of length ``dim``."""
    return {k: pl.Array(pl.Float32, dim) if v == VECTOR else v for k, v in schema.items()}
