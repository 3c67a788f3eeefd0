"""Image groups: one image per configuration (concentration x exposure time) of one compound.

A group is what the group-based classifier sees at once: the images of one compound
in one biological replicate (plate), exactly one image per configuration. Rules:

- Configurations are the screen's concentration x time pairs of treated wells, per
  cell line; a configuration is written ``"<conc>uM@<time>h"`` (``"1uM@24h"``).
- Fields give several groups per replicate: the images of site ``s`` of every
  configuration form one group. Where a plate holds several wells of a compound at one
  concentration, the k-th well (in well-name order) of each concentration goes to the
  k-th group, so no image is used twice.
- A group missing any configuration (an image quarantined or never acquired) is
  **dropped and counted**, never padded.
- Controls (DMSO) form their own class only with ``include_controls=True``; their
  "configurations" are then the times crossed with the screen's concentrations, and
  the k-th control well stands in at the k-th concentration.
- Folds: stratified k-fold over groups by compound (scikit-learn
  ``StratifiedKFold(shuffle=True, random_state=seed)``); a compound with fewer groups
  than folds is dropped from the cross-validation and counted.
- ``time_points`` keeps only the images of those times, so a time-lapse plate gives
  groups whose configurations are concentration x chosen time (a time-resolved
  group); ``[72]`` gives end-point-only groups of the same wells.
- Sets (``group_set``): ``screen`` groups are the classes that ``group_cv``
  cross-validates; without ``include_controls`` the DMSO groups of the screen's plates
  form the ``control`` set, and the plates of ``library`` (a second compound library)
  the ``library`` set. Both serve only the transfer tasks; each set has its own folds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from sklearn.model_selection import StratifiedKFold

from phenodag.core.groups.config import GroupingConfig
from phenodag.core.shared.group_schemas import IMAGE_GROUPS_SCHEMA

logger = logging.getLogger(__name__)

CONTROL_CLASS = "DMSO"


@dataclass
class GroupStats:
    """What grouping dropped, and why."""

    incomplete_groups: int = 0
    compounds_too_few_groups: list[str] = field(default_factory=list)


def configuration_label(concentration_um: float, time_h: float) -> str:
    """Return the configuration's name, e.g. ``1uM@24h``."""
    return f"{concentration_um:g}uM@{time_h:g}h"


def _with_slots(images: pl.DataFrame) -> pl.DataFrame:
    """Add ``slot``: wells of one compound, concentration and plate numbered 0, 1, ... in well order."""
    wells = (
        images.select("plate_id", "compound", "concentration_um", "well")
        .unique()
        .sort("plate_id", "compound", "concentration_um", "well")
        .with_columns(
            slot=pl.col("well").cum_count().over("plate_id", "compound", "concentration_um").cast(pl.Int32) - 1
        )
    )
    return images.join(wells, on=["plate_id", "compound", "concentration_um", "well"])


def _controls_as_configurations(images: pl.DataFrame, concentrations: list[float]) -> pl.DataFrame:
    """Give the k-th control well of a plate the k-th concentration, so controls group like compounds."""
    ctrl = images.filter(pl.col("is_control"))
    wells = ctrl.select("plate_id", "well").unique().sort("plate_id", "well")
    n = len(concentrations)
    wells = wells.with_columns(rank=pl.col("well").cum_count().over("plate_id") - 1).with_columns(
        concentration_um=pl.col("rank").mod(n).map_elements(lambda i: concentrations[i], return_dtype=pl.Float64),
        slot=(pl.col("rank") // n).cast(pl.Int32),
    )
    return (
        ctrl.drop("concentration_um")
        .join(wells.drop("rank"), on=["plate_id", "well"])
        .with_columns(compound=pl.lit(CONTROL_CLASS))
    )


def select_times(images: pl.DataFrame, time_points: list[float] | None) -> pl.DataFrame:
    """Keep the images of ``time_points`` (all if None).

    Raises
    ------
    ValueError
        If a chosen time point has no image, naming the times that do.
    """
    if time_points is None:
        return images
    present = sorted(set(images["time_h"].round(6).to_list()))
    missing = [t for t in time_points if round(t, 6) not in present]
    if missing:
        raise ValueError(f"time points {missing} h have no images; times imaged: {present}")
    return images.filter(pl.col("time_h").round(6).is_in([round(t, 6) for t in time_points]))


def build_groups(raw_images: pl.DataFrame, config: GroupingConfig | None = None) -> tuple[pl.DataFrame, GroupStats]:
    """Build the ``image_groups`` rows of every set from ``raw_images`` (module docstring has the rules).

    Parameters
    ----------
    raw_images
        Rows of ``raw_images`` (any plates); only ``status == "ok"`` rows are used.
    config
        Folds, seed, controls as a class, time points, screen and library plates.

    Returns
    -------
    groups, stats
        One row per complete group (schema :data:`IMAGE_GROUPS_SCHEMA`), and the counts
        of what was dropped.
    """
    config = config or GroupingConfig()
    ok = raw_images.filter(pl.col("status") == "ok") if "status" in raw_images.columns else raw_images
    ok = select_times(ok, config.time_points)
    in_library = pl.col("plate_id").str.starts_with(config.library) if config.library else pl.lit(False)
    in_screen = pl.col("plate_id").str.starts_with(config.screen) if config.screen else ~in_library
    stats = GroupStats()
    screen = ok.filter(in_screen & ~in_library)
    parts = [_set_groups(screen, config, config.include_controls, stats).with_columns(group_set=pl.lit("screen"))]
    if not config.include_controls:
        controls = _set_groups(screen, config, True, stats, only_controls=True)
        parts.append(controls.with_columns(group_set=pl.lit("control")))
    if config.library:
        library = _set_groups(ok.filter(in_library), config, False, stats)
        parts.append(library.with_columns(group_set=pl.lit("library")))
    out = pl.concat([p.select(list(IMAGE_GROUPS_SCHEMA)).cast(pl.Schema(IMAGE_GROUPS_SCHEMA)) for p in parts])
    return out, stats


def _set_groups(
    ok: pl.DataFrame, config: GroupingConfig, include_controls: bool, stats: GroupStats, only_controls: bool = False
) -> pl.DataFrame:
    """Build the groups of one set, with folds of their own (the rules of the module docstring).

    ``include_controls`` adds DMSO groups as a class; ``only_controls`` keeps only them
    (the ``control`` set). Drops are added to ``stats``. Returns the set's rows without
    ``group_set``.
    """
    n_folds, seed = config.n_folds, config.seed
    treated = _with_slots(ok.filter(~pl.col("is_control")))
    parts = [] if only_controls else [treated]
    if include_controls:
        concs = sorted(treated["concentration_um"].unique().to_list())
        if concs:
            parts.append(_controls_as_configurations(ok, concs).select(treated.columns))
    if not parts:
        return pl.DataFrame(schema={k: v for k, v in IMAGE_GROUPS_SCHEMA.items() if k != "group_set"})
    images = pl.concat(parts).with_columns(
        configuration=pl.struct("concentration_um", "time_h").map_elements(
            lambda s: configuration_label(s["concentration_um"], s["time_h"]), return_dtype=pl.String
        ),
        image_id=pl.format("{}/{}/{}/{}", "plate_id", "well", "site", "time_h"),
    )
    expected = images.group_by("cell_line").agg(pl.col("configuration").unique().sort().alias("expected"))
    keys = ["cell_line", "compound", "replicate", "plate_id", "site", "slot"]
    grouped = (
        images.sort("concentration_um", "time_h")
        .unique([*keys, "configuration"], keep="first", maintain_order=True)
        .group_by(keys, maintain_order=True)
        .agg(
            pl.col("configuration").alias("configurations"),
            pl.col("image_id").alias("image_ids"),
            pl.col("path").alias("paths"),
        )
        .join(expected, on="cell_line")
    )
    complete = grouped.filter(pl.col("configurations").list.len() == pl.col("expected").list.len()).drop("expected")
    dropped = grouped.height - complete.height
    stats.incomplete_groups += dropped
    if dropped:
        logger.warning("dropped %d incomplete group(s)", dropped)
    counts = complete.group_by("compound").len()
    too_few = sorted(counts.filter(pl.col("len") < n_folds)["compound"].to_list())
    stats.compounds_too_few_groups += too_few
    complete = complete.filter(~pl.col("compound").is_in(too_few)).sort(keys)
    complete = complete.with_columns(
        group_id=pl.format("{}|{}|s{}|k{}", "plate_id", "compound", "site", "slot"),
        fold=pl.Series(assign_folds(complete["compound"].to_numpy(), n_folds, seed), dtype=pl.Int32),
    )
    return complete


def assign_folds(labels: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """Fold of each item by stratified k-fold over ``labels`` (every label needs ≥ ``n_folds`` items)."""
    folds = np.full(len(labels), -1, dtype=np.int32)
    if len(labels) == 0:
        return folds
    skf = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for k, (_, test) in enumerate(skf.split(np.zeros(len(labels)), labels)):
        folds[test] = k
    return folds


def parse_configuration(label: str) -> tuple[float, float]:
    """Inverse of :func:`configuration_label`: ``"1uM@24h"`` → (1.0, 24.0)."""
    conc, time = label.split("@")
    return float(conc.removesuffix("uM")), float(time.removesuffix("h"))
