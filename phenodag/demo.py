"""The embedded demo (``phenodag demo``, ``make demo``): simulate a small screen and run every stage in-process.

Each stage runs the job a user would launch, with the demo's config
(:func:`demo_stage_config`), which a new home also keeps as its ``stage_config.yaml``
so that automated runs and the launchpad train at the demo's size.
"""

import argparse
import logging
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import polars as pl
import yaml

from phenodag.defs.compare import COMPARE_JOB, ENCODER_COMPARISON_JOB
from phenodag.defs.embed import EXPORT_JOB, TRAIN_CONVAE_JOB
from phenodag.defs.groups import GROUP_CV_JOB, GROUP_REUSE_JOB, GROUPS_JOB
from phenodag.defs.lens import LENS_CLASSIFIER_JOB, LENS_JOB
from phenodag.defs.report import REPORT_JOB
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.defs.sql import SQL_MODELS_JOB
from phenodag.defs.temporal import GROWTH_JOB, TEMPORAL_JOB

if TYPE_CHECKING:
    from phenodag.core.simulate import ScreenDesign
    from phenodag.runner import Runner

logger = logging.getLogger(__name__)
DEMO_ENCODERS = ("convae", "convae-random", "classical")
"""What the demo compares: the ConvAE it trains, the same network untrained (``random:seed0``), both with the
pooled readout, and the classical phase-contrast features (the baseline a learned encoder must beat)."""
DEMO_ALPHAS = ("0", "-20", "20")
"""The lens α the demo runs: none, discriminative, adversarial (the benchmark runs the whole grid)."""
DEMO_LIBRARY = "LIB"
"""Plate-id prefix (screen name) and compound prefix of the demo's second compound library."""


@dataclass(frozen=True)
class ScreenOptions:
    """What ``phenodag simulate`` and the demo draw: the screen (the CLI's options; defaults live in the parser)."""

    seed: int
    plates: int
    kind: str
    name: str | None
    compounds: int
    morphological: int
    days: float
    every_h: float
    sites: int
    size: int
    bit_depth: int
    layout: str
    workers: int
    home: str | None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Self:
        """Take the fields of this class from parsed CLI arguments (``phenodag demo`` or ``simulate``)."""
        return cls(**{f.name: getattr(args, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class DemoOptions(ScreenOptions):
    """The demo's screen and its training budgets (``phenodag demo``'s options)."""

    train_steps: int
    train_images: int
    lens_steps: int
    lens_images: int
    group_times: str
    group_folds: int
    group_epochs: int


def screen_design(options: ScreenOptions) -> "ScreenDesign":
    """Return the simulated screen that the command line's screen options describe."""
    from phenodag.core.simulate import endpoint_design, timelapse_design

    common: dict[str, Any] = {
        "n_compounds": options.compounds,
        "seed": options.seed,
        "replicates": options.plates,
        "sites": options.sites,
        "image_size": options.size,
        "bit_depth": options.bit_depth,
        "layout": options.layout,
    }
    if options.kind == "endpoint":
        return endpoint_design(name=options.name or "SIM_EP", **common)
    return timelapse_design(
        name=options.name or "SIM_TL",
        days=options.days,
        every_h=options.every_h,
        n_morphological=options.morphological,
        **common,
    )


def _demo_stages(runner: "Runner", plates: list[str], options: DemoOptions) -> bool:
    """Run every stage of the demo after ingestion: SQL models, training, embedding, temporal, comparison, lens."""
    if not runner.run(SQL_MODELS_JOB).success:
        logger.error("SQL models failed")
        return False
    logger.info("training a ConvAE (%d optimiser steps, up to %d images)", options.train_steps, options.train_images)
    if not runner.run(TRAIN_CONVAE_JOB, config=_ops(options, "convae_model")).success:
        logger.error("training failed")
        return False
    if not all(runner.embed(encoder, plates) for encoder in DEMO_ENCODERS):
        logger.error("embedding failed")
        return False
    logger.info("growth curves and GR from the classical encoder's blob count")
    if not runner.run(GROWTH_JOB).success:
        return False
    logger.info("comparing the trained ConvAE with the untrained one and classical features (%s)", DEMO_ENCODERS)
    for encoder in DEMO_ENCODERS:
        if not runner.run(COMPARE_JOB, encoder).success:
            return False
    if not runner.run(ENCODER_COMPARISON_JOB).success:
        return False
    logger.info("temporal trajectories, DTW clusters and the three response calls (encoder convae)")
    if not runner.run(TEMPORAL_JOB, "convae").success:
        return False
    if not (_demo_lens(runner, options) and _demo_groups(runner, options)):
        return False
    logger.info("profiles with Metadata_* columns (lake/exports), then the screen report")
    if not all(runner.run(EXPORT_JOB, encoder).success for encoder in DEMO_ENCODERS):
        return False
    return runner.run(REPORT_JOB).success


def _demo_groups(runner: "Runner", options: DemoOptions) -> bool:
    """Group classification on frozen ``convae`` vectors: a second library, groups, five methods, transfer, robustness.

    The second library (new compounds, imaged at 0 h and the group time points) lands
    only now, so the stages before see the screen alone.
    """
    from phenodag.core.shared.vocab import GROUP_METHODS
    from phenodag.core.simulate import simulate_screen, timelapse_design

    settings = DagsterSettings.from_env(options.home)
    times = [float(t) for t in options.group_times.split(",")]
    library = timelapse_design(
        name=DEMO_LIBRARY,
        n_compounds=options.compounds,
        seed=options.seed + 1,
        compound_prefix=DEMO_LIBRARY,
        signatures=True,  # the library's truth is the compound: each shows its own look
        replicates=options.plates,
        sites=options.sites,
        image_size=options.size,
    ).with_(times_h=tuple(sorted({0.0, *times})))  # imaged from 0 h (treatment) and at the group times
    logger.info("second library: %d plates of %d new compounds", options.plates, options.compounds)
    folders = simulate_screen(library, settings.inbox, seed=options.seed + 1, workers=options.workers)
    if not all(runner.ingest(f).success for f in folders) or not runner.embed("convae", [f.name for f in folders]):
        return False
    if not runner.run(GROUPS_JOB, config=_ops(options, "image_groups")).success:
        return False
    logger.info("group cross-validation of %s on frozen convae vectors", ", ".join(GROUP_METHODS))
    for method in GROUP_METHODS:
        if not runner.run(GROUP_CV_JOB, method, _ops(options, "group_cv")).success:
            return False
    return runner.run(GROUP_REUSE_JOB).success


def _read(settings: DagsterSettings, name: str, **kwargs: Any) -> pl.DataFrame:
    """Table ``name`` of the home's lake (a folder or an object store)."""
    from phenodag.core.shared import lake

    return lake.read_table(settings.lake, name, storage_options=settings.lake_storage_options, **kwargs)


def _print_groups(settings: DagsterSettings) -> None:
    from phenodag.core.groups.summary import comparison_table, mean_sd

    print("group classification on frozen convae vectors (held-out groups; docs/guide/groups.md):")
    print(mean_sd(comparison_table(_read(settings, "group_cv_metrics"))).drop("features"))
    transfer = _read(settings, "group_transfer")
    shown = transfer.filter(pl.col("metric").is_in(["top1_accuracy", "roc_auc", "pr_auc"]))
    print("transfer (new head on frozen fold models; mean over folds):")
    print(
        shown.group_by("method", "task", "metric")
        .agg(pl.col("value").mean().round(3))
        .with_columns(pl.format("{} {}", "task", "metric").alias("task"))
        .pivot(on="task", index="method", values="value", sort_columns=True)
        .sort("method")
    )
    robust = _read(settings, "group_robustness").filter(pl.col("perturbation") != "none")
    print("robustness (held-out top-1 under each perturbation over the clean top-1; mean over folds):")
    label = pl.format("{} {}", "perturbation", pl.col("level").map_elements(lambda v: f"{v:g}", return_dtype=pl.String))
    print(
        robust.sort("perturbation", "level")
        .with_columns(label.alias("at"))
        .group_by("method", "at", maintain_order=True)
        .agg(pl.col("retained").mean().round(2))
        .pivot(on="at", index="method", values="retained")
        .sort("method")
    )


def _demo_lens(runner: "Runner", options: DemoOptions) -> bool:
    """Run the lens on the trained ConvAE: the classifier, then α in :data:`DEMO_ALPHAS` at a small budget."""
    logger.info("lens: classifier, then alpha %s (%d steps each)", ", ".join(DEMO_ALPHAS), options.lens_steps)
    if not runner.run(LENS_CLASSIFIER_JOB, config=_ops(options, "lens_classifier")).success:
        return False
    return all(runner.run(LENS_JOB, key, _ops(options, "lens")).success for key in DEMO_ALPHAS)


def demo_stage_config(options: DemoOptions) -> dict[str, dict[str, Any]]:
    """Return the demo's config of each trained stage, by op; a new home keeps it as its ``stage_config.yaml``.

    So automated runs and the launchpad of the demo's home train at the demo's size,
    not at the code's defaults (a group CV of ResNet-18 end to end, 20 epochs a fold).
    """
    lens = {"steps": options.lens_steps, "max_images": options.lens_images, "seed": options.seed}
    return {
        "convae_model": {"steps": options.train_steps, "max_images": options.train_images, "seed": options.seed},
        "lens_classifier": lens,
        "lens": lens,
        "image_groups": {
            "n_folds": options.group_folds,
            "time_points": [float(t) for t in options.group_times.split(",")],
            "library": DEMO_LIBRARY,
        },
        "group_cv": {
            "features": "embeddings:convae",
            "epochs": options.group_epochs,
            "lr": 1e-3,
            "batch_groups": 4,
            "log_models": False,
        },
    }


def keep_stage_config(settings: DagsterSettings, options: DemoOptions) -> bool:
    """Write the demo's stage config as the home's ``stage_config.yaml`` unless it has one; whether it wrote."""
    if settings.stage_config is None or settings.stage_config.exists():
        return False
    stages = {op: {"config": config} for op, config in demo_stage_config(options).items()}
    settings.stage_config.write_text(yaml.safe_dump({"ops": stages}, sort_keys=False))
    logger.info("the home's stage defaults (automated runs, launchpad): %s", settings.stage_config)
    return True


def _ops(options: DemoOptions, op: str) -> dict[str, Any]:
    """Run config of the demo's ``op``."""
    return {"ops": {op: {"config": demo_stage_config(options)[op]}}}


def demo_truth(settings: DagsterSettings) -> pl.DataFrame:
    """Return the demo's truth block (:mod:`phenodag.core.simulate.validation`) from the home's lake."""
    from phenodag.core.shared.tables import read_known
    from phenodag.core.simulate.validation import truth_block

    def read(name: str) -> pl.DataFrame:
        return read_known(settings.lake, name, None, settings.lake_storage_options)

    return truth_block(read, DEMO_ENCODERS[0])


def print_truth(settings: DagsterSettings, cpu: str) -> None:
    """Print the truth block and write it to ``<home>/truth.md`` (what docs/results.md shows)."""
    from phenodag.core.simulate.validation import truth_markdown

    block = demo_truth(settings)
    text = (
        "## Agreement with the planted truth (phenodag demo)\n\n"
        f"Machine: {cpu}. Chance: what an answer without information scores; goal: the answers issue's.\n\n"
        f"{truth_markdown(block)}\n"
    )
    (settings.home / "truth.md").write_text(text)
    print("\nevery stage against the planted truth (also in " + str(settings.home / "truth.md") + "):")
    with pl.Config(tbl_rows=-1, fmt_str_lengths=60, tbl_width_chars=160, tbl_hide_dataframe_shape=True):
        print(block.with_columns(pl.col("value", "chance").round(3)))


def _print_demo(settings: DagsterSettings, seconds: float) -> None:
    from phenodag.core.shared import cpu
    from phenodag.core.shared.schemas import CONDITION
    from phenodag.core.temporal.evaluate import planted_counts, with_planted

    summary = _read(settings, "plate_summary").sort("plate_id")
    n_vectors = _read(settings, "well_embeddings", filters={"encoder": "convae"}, columns=["plate_id"]).height
    truth = _read(settings, "sim_truth")
    calls = _read(settings, "response_calls", filters={"encoder": DEMO_ENCODERS[0]})
    with pl.Config(tbl_cols=-1, tbl_rows=-1, tbl_width_chars=160, tbl_hide_dataframe_shape=True):
        print(summary)
        print("planted responses (treated cell line x compound x concentration conditions):")
        print(planted_counts(truth))
        print("response calls (encoder convae: embedding trajectory, growth, combined) next to the planted types:")
        print(
            with_planted(calls, truth)
            .select(*CONDITION, "planted_combined", "embedding_type", "growth_type", "combined_type", "effect_size")
            .with_columns(pl.col("effect_size").round(2))
            .sort("compound", "concentration_um")
        )
        print("growth (classical confluence): GR at the last time point per condition, GR metrics per compound:")
        gr = _read(settings, "growth_gr")
        last = gr.filter(pl.col("time_h") == pl.col("time_h").max().over("plate_id"))
        print(
            last.group_by("cell_line", "compound", "concentration_um")
            .agg(pl.col("gr").mean().round(2), pl.col("gr_window").mean().round(2))
            .sort("compound", "concentration_um")
        )
        print(_read(settings, "growth_metrics").with_columns(pl.col(pl.Float64).round(3)))
        print("encoder comparison (docs/guide/compare.md says what each column measures):")
        comparison = _read(settings, "encoder_comparison").drop("preprocess")
        comparison = comparison.with_columns(pl.col(pl.Float64).round(3))
        print(comparison.transpose(include_header=True, header_name="metric", column_names="encoder"))
        print("lens (held-out wells; docs/guide/lens.md):")
        lens = _read(settings, "lens_metrics").sort("alpha")
        shown = ["alpha", "top1_original", "top1_lensed", "top3_lensed", "map_signature_auroc", "map_mass_in_cells"]
        print(lens.select(shown).with_columns(pl.col(pl.Float64).round(3)))
        _print_groups(settings)
    print(
        f"\nphenodag demo finished in {seconds:.0f} s on {cpu.describe()}\n"
        f"  lake (Delta tables): {settings.lake}\n"
        f"  inbox:               {settings.inbox}\n"
        f"  screen report:       {Path(settings.lake) / 'reports' / 'screen_report.html'} (a browser opens it)\n"
        f"  profiles (Parquet):  {Path(settings.lake) / 'exports'} (Metadata_* columns, robust z)\n"
        f"  Dagster UI:          make dev   (or: PHENODAG_HOME={settings.home} "
        f"DAGSTER_HOME={settings.dagster_home} dagster dev -w workspace.yaml)\n"
        f"  MLflow UI:           mlflow ui --backend-store-uri {settings.mlflow_tracking_uri}\n"
        f"  plates: {summary.height}, images: {summary['n_images'].sum()}, "
        f"quarantined files: {summary['n_quarantined'].sum()}, "
        f"well x time embeddings (convae): {n_vectors}"
    )


def run_demo(options: DemoOptions) -> int:
    """Simulate the screen into the home's inbox, run every stage, print what they found; the exit status."""
    from phenodag.core.shared import cpu
    from phenodag.core.simulate import simulate_screen
    from phenodag.runner import open_runner

    start = time.perf_counter()
    settings = DagsterSettings.from_env(options.home).ensure()
    keep_stage_config(settings, options)
    design = screen_design(options)
    logger.info("simulating %d plates (%d images) into %s", options.plates, design.n_images, settings.inbox)
    folders = simulate_screen(design, settings.inbox, seed=options.seed, workers=options.workers)
    simulated = time.perf_counter() - start
    with open_runner(settings) as runner:
        for folder in folders:
            logger.info("ingesting %s", folder.name)
            if not runner.ingest(folder).success:
                logger.error("ingestion of %s failed", folder)
                return 1
        ok = _demo_stages(runner, [f.name for f in folders], options)
        seconds = {"simulate (the screen)": simulated, **runner.seconds}
    _print_stage_times(seconds)
    if not ok:
        return 1
    _print_demo(settings, time.perf_counter() - start)
    print_truth(settings, cpu.describe())
    return 0


def _print_stage_times(seconds: dict[str, float]) -> None:
    """Print the wall time of each stage's jobs, slowest first, so a user sees where the time went."""
    total = sum(seconds.values())
    print("wall time per stage (job), slowest first:")
    for job, s in sorted(seconds.items(), key=lambda item: -item[1]):
        print(f"  {job:<28} {s:7.1f} s  {100 * s / total:5.1f} %")
