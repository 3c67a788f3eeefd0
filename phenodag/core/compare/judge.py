"""Judging a ConvAE version by what its features see: the compare stage's metrics on a set of plates.

The crop-strategy sweep trains several versions; the one whose embeddings call drug
effects best (copairs activity mAP, or the share of truly active conditions called
active on a simulated screen) becomes the champion, not the one that reconstructs best.
"""

from __future__ import annotations

import polars as pl

from phenodag.core.compare.activity import phenotypic_activity
from phenodag.core.compare.config import CompareConfig
from phenodag.core.compare.profiles import late_profiles
from phenodag.core.compare.summary import activity_scores
from phenodag.core.embed.convae import ConvAE
from phenodag.core.embed.pipeline import embed_rows, well_embeddings
from phenodag.core.embed.registry import trained_convae_encoder


def judge_scores(
    model: ConvAE,
    raw_images: pl.DataFrame,
    planted: pl.DataFrame | None,
    config: CompareConfig | None = None,
    threads: int = 2,
) -> dict[str, float]:
    """Embed ``raw_images`` with ``model`` (the ``convae`` preprocessing) and score its activity calls.

    Returns
    -------
    dict
        ``activity_map``, and ``fraction_active`` where ``planted`` (the simulator's truth)
        is given and any truly active condition was scored.
    """
    cfg = config or CompareConfig()
    encoder = trained_convae_encoder(model, "candidate")
    wells = well_embeddings(embed_rows(raw_images, encoder, threads=threads))
    profiles = late_profiles(wells, raw_images, cfg.late_window_h, cfg.normalisation)
    activity = phenotypic_activity(profiles, encoder.name, cfg.null_size, cfg.q_threshold, cfg.seed)
    scores = activity_scores(activity, planted)
    return {k: float(v) for k in ("activity_map", "fraction_active") if isinstance(v := scores[k], int | float)}
