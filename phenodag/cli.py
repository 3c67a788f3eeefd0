"""The ``phenodag`` command: parses arguments and calls core or the in-process runner (:mod:`phenodag.runner`)."""

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from phenodag.core.shared.vocab import ENCODER_NAMES, FIELD_MODES, PROFILE_NORMALISATIONS, READOUTS
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.lake_cli import add_lake_parser

logger = logging.getLogger(__name__)


def _cmd_export(args: argparse.Namespace) -> int:
    from phenodag.core.embed.export import export_profiles, write_profiles
    from phenodag.core.shared.tables import read_known

    settings = DagsterSettings.from_env(args.home)
    filters: dict[str, str | list[str]] = {"encoder": args.encoder}
    if args.plates:
        filters["plate_id"] = args.plates
    opts = settings.lake_storage_options
    wells = read_known(settings.lake, "well_embeddings", filters, opts)
    if wells.height == 0:
        raise ValueError(f"no well_embeddings of encoder {args.encoder!r} in {settings.lake} for plates {args.plates}")
    raw = read_known(settings.lake, "raw_images", None, opts)
    profiles = export_profiles(wells, raw, args.normalise)
    out = write_profiles(profiles, Path(args.out))
    logger.info("wrote %d profiles x %d columns to %s", profiles.height, profiles.width, out)
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    from phenodag.runner import open_runner

    plate_dir = Path(args.plate_dir)
    if not plate_dir.is_dir():
        logger.error("%s is not a folder", plate_dir)
        return 2
    from phenodag.core.ingest.platemap import PlateError

    with open_runner(DagsterSettings.from_env(args.home)) as runner:
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

    settings = DagsterSettings.from_env(args.home)
    logger.info("phenodag home %s, Dagster instance config %s", settings.home, ensure_instance(settings))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from phenodag.demo import DemoOptions, run_demo

    return run_demo(DemoOptions.from_args(args))


def _cmd_simulate(args: argparse.Namespace) -> int:
    from phenodag.core.simulate import simulate_screen
    from phenodag.core.simulate.preview import contact_sheet
    from phenodag.demo import ScreenOptions, screen_design

    design = screen_design(ScreenOptions.from_args(args))
    if args.preview:
        out = contact_sheet(Path(args.preview), design, seed=args.seed, real_image=args.real and Path(args.real))
        logger.info("wrote contact sheet %s", out)
        return 0
    out_dir = Path(args.out) if args.out else DagsterSettings.from_env(args.home).ensure().inbox
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


def _screen_options(
    p: argparse.ArgumentParser, plates: int, days: float, every_h: float, sites: int = 1, morphological: int = 0
) -> None:
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plates", type=int, default=plates, help="replicate plates per cell line")
    p.add_argument("--kind", choices=["timelapse", "endpoint"], default="timelapse")
    p.add_argument("--name", help="screen name, the plate id prefix (default SIM_TL / SIM_EP)")
    p.add_argument("--compounds", type=int, default=5, help="compounds with a growth profile (profiles cycle)")
    p.add_argument(
        "--morphological", type=int, default=morphological, help="compounds that change morphology and not growth"
    )
    p.add_argument("--days", type=float, default=days, help="time-lapse length")
    p.add_argument("--every-h", type=float, default=every_h, help="time-lapse interval")
    p.add_argument("--sites", type=int, default=sites, help="fields per well")
    p.add_argument("--size", type=int, default=256, help="image side in pixels")
    p.add_argument("--bit-depth", type=int, choices=[8, 16], default=8)
    p.add_argument("--layout", choices=["incucyte", "cv8000"], default="incucyte")
    p.add_argument("--workers", type=int, default=2, help="processes rendering wells")
    p.add_argument("--home", help="phenodag home (default $PHENODAG_HOME or ./.phenodag)")


def _cmd_embed(args: argparse.Namespace) -> int:
    from phenodag.core.embed.pipeline import embed_files
    from phenodag.core.embed.registry import load_encoder
    from phenodag.core.shared.mlflow_store import use_store

    missing = [p for p in args.images if not Path(p).exists()]
    if missing:
        logger.error("no such file: %s", ", ".join(missing))
        return 2
    settings = DagsterSettings.from_env(args.home)
    use_store(settings.mlflow_tracking_uri, settings.mlflow_artifact_root)  # the home's registry, never ./mlflow.db
    encoder = load_encoder(
        args.encoder,
        args.weights,
        field=args.field,
        field_px=args.field_px,
        jpeg_draft=args.jpeg_draft,
        readout=args.readout,
    )
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
    _screen_options(p, plates=3, days=2.0, every_h=4.0, sites=2, morphological=2)
    p.add_argument("--train-steps", type=int, default=300, help="ConvAE optimiser steps (batches of 20 views)")
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
    p.add_argument("--readout", choices=READOUTS, help="ConvAE family: pooled (default) or latent (the published)")
    p.add_argument(
        "--jpeg-draft", action="store_true", help="decode JPEGs at a reduced DCT scale (faster; changes pixels)"
    )
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--home", help="phenodag home whose MLflow registry resolves models:/ URIs (default $PHENODAG_HOME)")
    p.set_defaults(func=_cmd_embed)

    p = sub.add_parser("ingest", help="ingest one plate folder now, without the daemon (same code path)")
    p.add_argument("plate_dir")
    p.add_argument("--plate-id", help="partition key (default: plate.yaml plate_id or the folder name)")
    p.add_argument("--home", help="phenodag home (default $PHENODAG_HOME or ./.phenodag)")
    p.set_defaults(func=_cmd_ingest)

    add_lake_parser(sub)

    p = sub.add_parser(
        "export", help="write one encoder's well profiles with Metadata_* columns (Parquet, CSV or AnnData .h5ad)"
    )
    p.add_argument("--encoder", required=True, choices=ENCODER_NAMES, help="whose well_embeddings to export")
    p.add_argument("--out", required=True, help="output file: .parquet, .csv or .h5ad (needs phenodag[anndata])")
    p.add_argument(
        "--normalise",
        choices=PROFILE_NORMALISATIONS,
        default=PROFILE_NORMALISATIONS[0],
        help="to each plate's control wells (default %(default)s; none keeps the encoder's values)",
    )
    p.add_argument("--plates", nargs="*", help="plate ids (default: every plate)")
    p.add_argument("--home", help="phenodag home (default $PHENODAG_HOME or ./.phenodag)")
    p.set_defaults(func=_cmd_export)

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
