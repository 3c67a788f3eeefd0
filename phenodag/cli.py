"""The ``phenodag`` command: parses arguments and calls core or the in-process runner (:mod:`phenodag.runner`)."""

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from phenodag.core.shared.settings import Settings
from phenodag.core.shared.vocab import ENCODER_NAMES, FIELD_MODES
from phenodag.lake_cli import add_lake_parser

if TYPE_CHECKING:
    from phenodag.core.simulate import ScreenDesign
    from phenodag.runner import Runner

logger = logging.getLogger(__name__)
DEMO_ENCODERS = ("convae", "convae-random")
"""What the demo compares: the ConvAE it trains, and the same network untrained (``random:seed0``)."""
DEMO_ALPHAS = ("0", "-20", "20")
"""The lens α the demo runs: none, discriminative, adversarial (the benchmark runs the whole grid)."""
DEMO_LIBRARY = "LIB"
"""Plate-id prefix (screen name) and compound prefix of the demo's second compound library."""


def _cmd_ingest(args: argparse.Namespace) -> int:
    from phenodag.runner import open_runner

    plate_dir = Path(args.plate_dir)
    if not plate_dir.is_dir():
        logger.error("%s is not a folder", plate_dir)
        return 2
    from phenodag.core.ingest.platemap import PlateError

    with open_runner(Settings.from_env(args.home)) as runner:
        try:
            result = runner.ingest(plate_dir, args.plate_id)
        except PlateError as exc:
            logger.error("%s; nothing was recorded (name the plate with --plate-id)", exc)
            return 2
    checks = result.get_asset_check_evaluations()
    for c in checks:
        logger.info("check %s: %s", c.check_name, "passed" if c.passed else f"FAILED ({c.severity.value})")
    return 0 if result.success and all(c.passed or c.severity.value == "WARN" for c in checks) else 1


def _cmd_init(args: argparse.Namespace) -> int:
    from phenodag.runner import ensure_instance

    settings = Settings.from_env(args.home)
    logger.info("phenodag home %s, Dagster instance config %s", settings.home, ensure_instance(settings))
    return 0


def _design(args: argparse.Namespace) -> "ScreenDesign":
    from phenodag.core.simulate import endpoint_design, timelapse_design

    common = {
        "n_compounds": args.compounds,
        "seed": args.seed,
        "replicates": args.plates,
        "sites": args.sites,
        "image_size": args.size,
        "bit_depth": args.bit_depth,
        "layout": args.layout,
    }
    if args.kind == "endpoint":
        return endpoint_design(name=args.name or "SIM_EP", **common)
    return timelapse_design(name=args.name or "SIM_TL", days=args.days, every_h=args.every_h, **common)


def _cmd_simulate(args: argparse.Namespace) -> int:
    from phenodag.core.simulate import simulate_screen
    from phenodag.core.simulate.preview import contact_sheet

    design = _design(args)
    if args.preview:
        out = contact_sheet(Path(args.preview), design, seed=args.seed, real_image=args.real and Path(args.real))
        logger.info("wrote contact sheet %s", out)
        return 0
    out_dir = Path(args.out) if args.out else Settings.from_env(args.home).ensure().inbox
    start = time.perf_counter()
    folders = simulate_screen(design, out_dir, seed=args.seed, workers=args.workers)
    elapsed = time.perf_counter() - start
    logger.info(
        "wrote %d plates, %d images in %.1f s (%.1f images/s) to %s",
        len(folders),
        design.n_images,
        elapsed,
        design.n_images / elapsed,
        out_dir,
    )
    return 0


def _demo_stages(runner: "Runner", plates: list[str], args: argparse.Namespace) -> bool:
    """Run every stage of the demo after ingestion: SQL models, training, embedding, temporal, comparison, lens."""
    if not runner.run("sql_models_job").success:
        logger.error("SQL models failed")
        return False
    logger.info("training a ConvAE (%d optimiser steps, up to %d images)", args.train_steps, args.train_images)
    train = {"steps": args.train_steps, "max_images": args.train_images, "seed": args.seed}
    if not runner.run("train_convae_job", config={"ops": {"convae_model": {"config": train}}}).success:
        logger.error("training failed")
        return False
    if not runner.embed("convae", plates):
        logger.error("embedding failed")
        return False
    logger.info("temporal trajectories and DTW clusters (encoder convae)")
    if not runner.run("temporal_job", "convae").success:
        return False
    logger.info("comparing the trained ConvAE with the untrained one (%s)", ", ".join(DEMO_ENCODERS))
    if not runner.embed(DEMO_ENCODERS[1], plates):
        return False
    for encoder in DEMO_ENCODERS:
        if not runner.run("compare_job", encoder).success:
            return False
    if not runner.run("encoder_comparison_job").success:
        return False
    return _demo_lens(runner, args) and _demo_groups(runner, args)


def _demo_groups(runner: "Runner", args: argparse.Namespace) -> bool:
    """Group classification on frozen ``convae`` vectors: a second library, groups, five methods, transfer, robustness.

    The second library (new compounds, imaged at 0 h and the group time points) lands
    only now, so the stages before see the screen alone.
    """
    from phenodag.core.shared.vocab import GROUP_METHODS
    from phenodag.core.simulate import simulate_screen, timelapse_design

    settings = Settings.from_env(args.home)
    times = [float(t) for t in args.group_times.split(",")]
    library = timelapse_design(
        name=DEMO_LIBRARY,
        n_compounds=args.compounds,
        seed=args.seed + 1,
        compound_prefix=DEMO_LIBRARY,
        replicates=args.plates,
        sites=args.sites,
        image_size=args.size,
    ).with_(times_h=tuple(sorted({0.0, *times})))  # imaged from 0 h (treatment) and at the group times
    logger.info("second library: %d plates of %d new compounds", args.plates, args.compounds)
    folders = simulate_screen(library, settings.inbox, seed=args.seed + 1, workers=args.workers)
    if not all(runner.ingest(f).success for f in folders) or not runner.embed("convae", [f.name for f in folders]):
        return False
    grouping = {"n_folds": args.group_folds, "time_points": times, "library": DEMO_LIBRARY}
    if not runner.run("groups_job", config={"ops": {"image_groups": {"config": grouping}}}).success:
        return False
    cv = {
        "features": "embeddings:convae",
        "epochs": args.group_epochs,
        "lr": 1e-3,
        "batch_groups": 4,
        "log_models": False,
    }
    logger.info("group cross-validation of %s on frozen convae vectors", ", ".join(GROUP_METHODS))
    for method in GROUP_METHODS:
        if not runner.run("group_cv_job", method, {"ops": {"group_cv": {"config": cv}}}).success:
            return False
    return runner.run("group_reuse_job").success


def _print_groups(settings: Settings) -> None:
    from phenodag.core.groups.summary import comparison_table, mean_sd
    from phenodag.core.shared import lake

    print("group classification on frozen convae vectors (held-out groups; docs/guide/groups.md):")
    print(mean_sd(comparison_table(lake.read_table(settings.lake, "group_cv_metrics"))).drop("features"))
    transfer = lake.read_table(settings.lake, "group_transfer")
    shown = transfer.filter(pl.col("metric").is_in(["top1_accuracy", "roc_auc", "pr_auc"]))
    print("transfer (new head on frozen fold models; mean over folds):")
    print(
        shown.group_by("method", "task", "metric")
        .agg(pl.col("value").mean().round(3))
        .with_columns(pl.format("{} {}", "task", "metric").alias("task"))
        .pivot(on="task", index="method", values="value", sort_columns=True)
        .sort("method")
    )
    robust = lake.read_table(settings.lake, "group_robustness").filter(pl.col("perturbation") != "none")
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


def _demo_lens(runner: "Runner", args: argparse.Namespace) -> bool:
    """Run the lens on the trained ConvAE: the classifier, then α in :data:`DEMO_ALPHAS` at a small budget."""
    logger.info("lens: classifier, then alpha %s (%d steps each)", ", ".join(DEMO_ALPHAS), args.lens_steps)
    lens = {"config": {"steps": args.lens_steps, "max_images": args.lens_images, "seed": args.seed}}
    if not runner.run("lens_classifier_job", config={"ops": {"lens_classifier": lens}}).success:
        return False
    return all(runner.run("lens_job", key, {"ops": {"lens": lens}}).success for key in DEMO_ALPHAS)


def _print_demo(settings: Settings, seconds: float) -> None:
    from phenodag.core.shared import lake
    from phenodag.core.temporal.evaluate import planted_counts, planted_vs_assigned

    summary = lake.read_table(settings.lake, "plate_summary").sort("plate_id")
    n_vectors = lake.read_table(
        settings.lake, "well_embeddings", filters={"encoder": "convae"}, columns=["plate_id"]
    ).height
    truth = lake.read_table(settings.lake, "sim_truth")
    clusters = lake.read_table(settings.lake, "temporal_clusters")
    with pl.Config(tbl_cols=-1, tbl_rows=-1, tbl_width_chars=160, tbl_hide_dataframe_shape=True):
        print(summary)
        print("planted responses (treated cell line x compound x concentration conditions):")
        print(planted_counts(truth))
        print("temporal response types (encoder convae) next to the planted ones:")
        print(planted_vs_assigned(clusters, truth))
        print("encoder comparison (docs/guide/compare.md says what each column measures):")
        comparison = lake.read_table(settings.lake, "encoder_comparison").drop("preprocess")
        comparison = comparison.with_columns(pl.col(pl.Float64).round(3))
        print(comparison.transpose(include_header=True, header_name="metric", column_names="encoder"))
        print("lens (held-out wells; docs/guide/lens.md):")
        lens = lake.read_table(settings.lake, "lens_metrics").sort("alpha")
        shown = ["alpha", "top1_original", "top1_lensed", "top3_lensed", "map_signature_auroc", "map_mass_in_cells"]
        print(lens.select(shown).with_columns(pl.col(pl.Float64).round(3)))
        _print_groups(settings)
    print(
        f"\nphenodag demo finished in {seconds:.0f} s\n"
        f"  lake (Delta tables): {settings.lake}\n"
        f"  inbox:               {settings.inbox}\n"
        f"  Dagster UI:          make dev   (or: PHENODAG_HOME={settings.home} "
        f"DAGSTER_HOME={settings.dagster_home} dagster dev -w workspace.yaml)\n"
        f"  MLflow UI:           mlflow ui --backend-store-uri {settings.mlflow_tracking_uri}\n"
        f"  plates: {summary.height}, images: {summary['n_images'].sum()}, "
        f"quarantined files: {summary['n_quarantined'].sum()}, "
        f"well x time embeddings (convae): {n_vectors}"
    )


def _cmd_demo(args: argparse.Namespace) -> int:
    from phenodag.core.simulate import simulate_screen
    from phenodag.runner import open_runner

    start = time.perf_counter()
    settings = Settings.from_env(args.home).ensure()
    design = _design(args)
    logger.info("simulating %d plates (%d images) into %s", args.plates, design.n_images, settings.inbox)
    folders = simulate_screen(design, settings.inbox, seed=args.seed, workers=args.workers)
    with open_runner(settings) as runner:
        for folder in folders:
            logger.info("ingesting %s", folder.name)
            if not runner.ingest(folder).success:
                logger.error("ingestion of %s failed", folder)
                return 1
        if not _demo_stages(runner, [f.name for f in folders], args):
            return 1
    _print_demo(settings, time.perf_counter() - start)
    return 0


def _screen_options(p: argparse.ArgumentParser, plates: int, days: float, every_h: float) -> None:
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plates", type=int, default=plates, help="replicate plates per cell line")
    p.add_argument("--kind", choices=["timelapse", "endpoint"], default="timelapse")
    p.add_argument("--name", help="screen name, the plate id prefix (default SIM_TL / SIM_EP)")
    p.add_argument("--compounds", type=int, default=5)
    p.add_argument("--days", type=float, default=days, help="time-lapse length")
    p.add_argument("--every-h", type=float, default=every_h, help="time-lapse interval")
    p.add_argument("--sites", type=int, default=1, help="fields per well")
    p.add_argument("--size", type=int, default=256, help="image side in pixels")
    p.add_argument("--bit-depth", type=int, choices=[8, 16], default=8)
    p.add_argument("--layout", choices=["incucyte", "cv8000"], default="incucyte")
    p.add_argument("--workers", type=int, default=2, help="processes rendering wells")
    p.add_argument("--home", help="phenodag home (default $PHENODAG_HOME or ./.phenodag)")


def _cmd_embed(args: argparse.Namespace) -> int:
    import mlflow

    from phenodag.core.embed.pipeline import embed_files
    from phenodag.core.embed.registry import load_encoder

    missing = [p for p in args.images if not Path(p).exists()]
    if missing:
        logger.error("no such file: %s", ", ".join(missing))
        return 2
    settings = Settings.from_env(args.home)
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)  # the home's registry, never ./mlflow.db
    encoder = load_encoder(args.encoder, args.weights, field=args.field, field_px=args.field_px)
    df = embed_files(args.images, encoder, batch_size=args.batch_size)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    df.write_parquet(out)
    logger.info(
        "wrote %d vectors of %d floats (%s, %s) to %s", df.height, encoder.dim, encoder.name, encoder.weights_id, out
    )
    skipped = sorted({str(Path(p).resolve()) for p in args.images} - set(df["path"].to_list()))
    if skipped:
        logger.error("%d unreadable image(s) skipped: %s", len(skipped), ", ".join(skipped))
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``phenodag`` command."""
    parser = argparse.ArgumentParser(prog="phenodag", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="simulate a small screen into the inbox and materialise every asset in-process")
    _screen_options(p, plates=2, days=2.0, every_h=4.0)
    p.add_argument("--train-steps", type=int, default=900, help="ConvAE optimiser steps (batches of 20 views)")
    p.add_argument("--train-images", type=int, default=320, help="images sampled for ConvAE training")
    p.add_argument("--lens-steps", type=int, default=20, help="lens optimiser steps per alpha (batches of 8)")
    p.add_argument("--lens-images", type=int, default=96, help="images per side of the lens split (seeded sample)")
    p.add_argument("--group-times", default="24,48", help="time points (h) of the group configurations")
    p.add_argument("--group-folds", type=int, default=2, help="folds of the group cross-validation")
    p.add_argument("--group-epochs", type=int, default=60, help="epochs of each group model (frozen vectors)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("simulate", help="write a simulated screen as plate folders (default: into the inbox)")
    _screen_options(p, plates=2, days=3.0, every_h=2.0)
    p.add_argument("--out", help="folder for the plate folders (default: the inbox)")
    p.add_argument("--preview", metavar="PNG", help="write a contact sheet of each response type over time instead")
    p.add_argument("--real", metavar="IMAGE", help="a real frame to show beside the contact sheet")
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser("embed", help="embed image files with a named encoder into a parquet file")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--encoder", default="convae-phenoml", choices=ENCODER_NAMES)
    p.add_argument("--weights", help="weights file, MLflow model URI (convae) or 'random'")
    p.add_argument("--out", required=True, help="output .parquet (one row per image or tile)")
    p.add_argument("--field", choices=FIELD_MODES, help="field handling (default: whole)")
    p.add_argument("--field-px", type=int, help="crop or tile side for center_crop / tile")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--home", help="phenodag home whose MLflow registry resolves models:/ URIs (default $PHENODAG_HOME)")
    p.set_defaults(func=_cmd_embed)

    p = sub.add_parser("ingest", help="ingest one plate folder now, without the daemon (same code path)")
    p.add_argument("plate_dir")
    p.add_argument("--plate-id", help="partition key (default: plate.yaml plate_id or the folder name)")
    p.add_argument("--home", help="phenodag home (default $PHENODAG_HOME or ./.phenodag)")
    p.set_defaults(func=_cmd_ingest)

    add_lake_parser(sub)

    p = sub.add_parser("init", help="create the home's folders and its Dagster instance config (make dev runs this)")
    p.add_argument("--home", help="phenodag home (default $PHENODAG_HOME or ./.phenodag)")
    p.set_defaults(func=_cmd_init)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``phenodag`` command."""
    args = build_parser().parse_args(argv)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # Dagster's SQLite migrations, on every new home
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return int(args.func(args))
    except (OSError, ValueError, RuntimeError) as exc:  # user errors: one line, the traceback only with -v
        if args.verbose:
            raise
        logger.error("%s: %s (run with -v for the traceback)", type(exc).__name__, exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
