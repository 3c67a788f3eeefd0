"""Replicate similarity (pheno-ml Table 1, first block): how alike replicate wells of one treatment are.

Per cell line and compound at its top concentration, each replicate well's profile
is the mean of its late time points; the similarity is the inverse of the median
pairwise distance between those wells, for each distance metric. Higher is better;
values are comparable between encoders only within one metric (vector scales differ).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.spatial.distance import pdist

from phenodag.core.compare.profiles import at_top_concentration, vectors, well_means
from phenodag.core.shared.schemas import ENCODER_SIMILARITY_SCHEMA
from phenodag.core.shared.vocab import DISTANCE_METRICS


def replicate_similarity(profiles: pl.DataFrame, encoder: str, metrics: list[str]) -> pl.DataFrame:
    """Rows of ``encoder_similarity``: one per cell line, treated compound (top concentration) and metric.

    Treatments with fewer than two replicate wells are left out (no pair to compare).
    The metric names are scipy's (:data:`phenodag.core.shared.vocab.DISTANCE_METRICS`).
    """
    unknown = set(metrics) - set(DISTANCE_METRICS)
    if unknown:
        raise ValueError(f"metrics {sorted(unknown)}; expected some of {DISTANCE_METRICS}")
    wells = well_means(at_top_concentration(profiles).filter(~pl.col("is_control")))
    rows = []
    for (line, compound, conc), g in wells.group_by(["cell_line", "compound", "concentration_um"], maintain_order=True):
        if g.height < 2:
            continue
        x = vectors(g)
        for metric in metrics:
            median = float(np.median(pdist(x, metric)))
            rows.append(
                {
                    "encoder": encoder,
                    "cell_line": line,
                    "compound": compound,
                    "concentration_um": conc,
                    "metric": metric,
                    "n_wells": g.height,
                    "median_distance": median,
                    "similarity": 1.0 / median if median > 0 else float("inf"),
                }
            )
    return pl.DataFrame(rows, schema=ENCODER_SIMILARITY_SCHEMA).sort("cell_line", "compound", "metric")
