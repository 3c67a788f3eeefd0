"""The ``phenodag`` command: demo, ingest, built on the same Dagster definitions as the UI."""

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import numpy as np
import polars as pl

from phenodag.core.settings import Settings

if TYPE_CHECKING:
    from phenodag.core.simulate import ScreenDesign

logger = logging.getLogger("phenodag.cli")
QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}  # Dagster's step events, without DEBUG noise


def _instance(settings: Settings) -> dg.DagsterInstance:
    """Open the persistent Dagster instance of the phenodag home, so runs show up in ``dagster dev``."""
    settings.ensure()
    return dg.DagsterInstance.from_config(str(settings.dagster_home))


def ingest(settings: Settings, plate_dir: Path, plate_id: str | None = None) -> dg.ExecuteInProcessResult:
    """Ingest one plate folder through the ``ingest_plate`` assets (the sensor's code path).

    Parameters
    ----------
    settings
        The phenodag home.
    plate_dir
        The plate folder (anywhere; it is read in place).
    plate_id
        Partition key; the folder's ``plate.yaml`` id or name by default.
    """
    from phenodag.core.platemap import PlateError, read_plate_config
    from phenodag.definitions import build_definitions

    defs = build_definitions(settings)
    try:
        key = read_plate_config(plate_dir, plate_id).plate_id
    except PlateError:
        key = plate_id or plate_dir.name  # the run itself files the rejection in quarantine
    config = {"ops": {"ingest_plate": {"config": {"plate_dir": str(plate_dir.resolve())}}}, **QUIET}
    with _instance(settings) as instance:  # resolve inside: definitions read state through the current instance
        job = defs.resolve_job_def("ingest_plate_job")
        instance.add_dynamic_partitions("plates", [key])
        return job.execute_in_process(run_config=config, partition_key=key, instance=instance, raise_on_error=False)


def materialize_sql(settings: Settings) -> dg.ExecuteInProcessResult:
    """Materialise every SQL model asset over the current lake."""
    from phenodag.definitions import build_definitions
    from phenodag.defs.sql_models import GROUP

    defs = build_definitions(settings)
    job = dg.define_asset_job("sql_models_job", selection=dg.AssetSelection.groups(GROUP))
    with _instance(settings) as instance:
        resolved = dg.Definitions.merge(defs, dg.Definitions(jobs=[job])).resolve_job_def("sql_models_job")
        return resolved.execute_in_process(instance=instance, run_config=QUIET, raise_on_error=False)


def train_and_embed(settings: Settings, plates: list[str], epochs: int, max_images: int, seed: int) -> bool:
    """Train the ConvAE on ``plates``, embed each plate with it, average per well, cluster the trajectories."""
    from phenodag.definitions import build_definitions
    from phenodag.defs.embeddings import embedding_keys

    defs = build_definitions(settings)
    train_config = {"ops": {"convae_model": {"config": {"epochs": epochs, "max_images": max_images, "seed": seed}}}}
    with _instance(settings) as instance:
        trained = defs.resolve_job_def("train_convae_job").execute_in_process(
            run_config={**train_config, **QUIET}, instance=instance, raise_on_error=False
        )
        if not trained.success:
            return False
        embed = defs.resolve_job_def("embed_job")
        for key in embedding_keys("convae", plates):
            logger.info("embedding %s", key)
            if not embed.execute_in_process(
                partition_key=key, run_config=QUIET, instance=instance, raise_on_error=False
            ).success:
                return False
        logger.info("temporal trajectories and DTW clusters (encoder convae)")
        temporal = defs.resolve_job_def("temporal_job")
        return temporal.execute_in_process(
            partition_key="convae", run_config=QUIET, instance=instance, raise_on_error=False
        ).success


def _cmd_ingest(args: argparse.Namespace) -> int:
    settings = Settings.from_env(args.home)
    plate_dir = Path(args.plate_dir)
    if not plate_dir.is_dir():
        logger.error("%s is not a folder", plate_dir)
        return 2
    result = ingest(settings, plate_dir, args.plate_id)
    checks = result.get_asset_check_evaluations()
    for c in checks:
        logger.info("check %s: %s", c.check_name, "passed" if c.passed else f"FAILED ({c.severity.value})")
    return 0 if result.success and all(c.passed or c.severity.value == "WARN" for c in checks) else 1


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


def _cmd_demo(args: argparse.Namespace) -> int:
    from phenodag.core import lake
    from phenodag.core.simulate import simulate_screen

    start = time.perf_counter()
    settings = Settings.from_env(args.home).ensure()
    design = _design(args)
    logger.info("simulating %d plates (%d images) into %s", args.plates, design.n_images, settings.inbox)
    folders = simulate_screen(design, settings.inbox, seed=args.seed, workers=args.workers)
    for folder in folders:
        logger.info("ingesting %s", folder.name)
        if not ingest(settings, folder).success:
            logger.error("ingestion of %s failed", folder)
            return 1
    if not materialize_sql(settings).success:
        logger.error("SQL models failed")
        return 1
    logger.info(
        "training a ConvAE (%d epochs, up to %d images) and embedding the plates", args.epochs, args.train_images
    )
    if not train_and_embed(settings, [f.name for f in folders], args.epochs, args.train_images, args.seed):
        logger.error("training or embedding failed")
        return 1
    summary = lake.read_table(settings.lake, "plate_summary").sort("plate_id")
    n_vectors = lake.read_table(settings.lake, "well_embeddings", columns=["plate_id"]).height
    truth = lake.read_table(settings.lake, "sim_truth")
    planted = (
        truth.filter(~pl.col("is_control"))
        .unique(["cell_line", "compound", "concentration_um"])
        .group_by("response_type")
        .agg(conditions=pl.len())
        .sort("response_type")
    )
    responses = (
        lake.read_table(settings.lake, "temporal_clusters")
        .join(
            truth.unique(["cell_line", "compound", "concentration_um"]).select(
                "cell_line", "compound", "concentration_um", pl.col("response_type").alias("planted")
            ),
            on=["cell_line", "compound", "concentration_um"],
            how="left",
        )
        .select("compound", "concentration_um", "cluster", "response_type", "planted", "effect_size")
        .sort("compound", "concentration_um")
    )
    with pl.Config(tbl_cols=-1, tbl_rows=-1, tbl_width_chars=160, tbl_hide_dataframe_shape=True):
        print(summary)
        print("planted responses (treated cell line x compound x concentration conditions):")
        print(planted)
        print("temporal response types (encoder convae) next to the planted ones:")
        print(responses)
    print(
        f"\nphenodag demo finished in {time.perf_counter() - start:.0f} s\n"
        f"  lake (Delta tables): {settings.lake}\n"
        f"  inbox:               {settings.inbox}\n"
        f"  Dagster UI:          make dev   (or: PHENODAG_HOME={settings.home} "
        f"DAGSTER_HOME={settings.dagster_home} dagster dev -w workspace.yaml)\n"
        f"  MLflow UI:           mlflow ui --backend-store-uri {settings.mlflow_tracking_uri}\n"
        f"  plates: {summary.height}, images: {summary['n_images'].sum()}, "
        f"quarantined files: {summary['n_quarantined'].sum()}, "
        f"well x time embeddings (convae): {n_vectors}"
    )
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
    from phenodag.core.embedding import iter_embeddings
    from phenodag.core.encoders.registry import load_encoder
    from phenodag.core.ingest import sha256_file

    missing = [p for p in args.images if not Path(p).is_file()]
    if missing:
        logger.error("not a file: %s", ", ".join(missing))
        return 2
    encoder = load_encoder(args.encoder, args.weights, field=args.field, field_px=args.field_px)
    paths: list[str] = []
    tiles: list[int] = []
    vectors: list[np.ndarray] = []
    for batch, owners in iter_embeddings(encoder, args.images, batch_size=args.batch_size):
        vectors.extend(batch)
        paths.extend(str(Path(args.images[i]).resolve()) for i, _ in owners)
        tiles.extend(t for _, t in owners)
    sha = {p: sha256_file(Path(p)) for p in set(paths)}
    df = pl.DataFrame(
        {
            "path": paths,
            "sha256": [sha[p] for p in paths],
            "tile": pl.Series(tiles, dtype=pl.Int32),
            "encoder": encoder.name,
            "weights_id": encoder.weights_id,
            "preprocess": encoder.preprocess.describe(),
            "vector": pl.Series(np.stack(vectors), dtype=pl.Array(pl.Float32, encoder.dim)),
        }
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    df.write_parquet(out)
    logger.info(
        "wrote %d vectors of %d floats (%s, %s) to %s", df.height, encoder.dim, encoder.name, encoder.weights_id, out
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``phenodag`` command."""
    parser = argparse.ArgumentParser(prog="phenodag", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="simulate a small screen into the inbox and materialise every asset in-process")
    _screen_options(p, plates=2, days=2.0, every_h=4.0)
    p.add_argument("--epochs", type=int, default=2, help="ConvAE training epochs")
    p.add_argument("--train-images", type=int, default=160, help="images sampled for ConvAE training")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("simulate", help="write a simulated screen as plate folders (default: into the inbox)")
    _screen_options(p, plates=2, days=3.0, every_h=2.0)
    p.add_argument("--out", help="folder for the plate folders (default: the inbox)")
    p.add_argument("--preview", metavar="PNG", help="write a contact sheet of each response type over time instead")
    p.add_argument("--real", metavar="IMAGE", help="a real frame to show beside the contact sheet")
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser("embed", help="embed image files with a named encoder into a parquet file")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument(
        "--encoder", default="convae-phenoml", choices=["convae", "convae-phenoml", "resnet18", "resnet50", "vit_b_16"]
    )
    p.add_argument("--weights", help="weights file, MLflow model URI (convae) or 'random'")
    p.add_argument("--out", required=True, help="output .parquet (one row per image or tile)")
    p.add_argument("--field", choices=["whole", "center_crop", "tile"], help="field handling (default: whole)")
    p.add_argument("--field-px", type=int, help="crop or tile side for center_crop / tile")
    p.add_argument("--batch-size", type=int, default=64)
    p.set_defaults(func=_cmd_embed)

    p = sub.add_parser("ingest", help="ingest one plate folder now, without the daemon (same code path)")
    p.add_argument("plate_dir")
    p.add_argument("--plate-id", help="partition key (default: plate.yaml plate_id or the folder name)")
    p.add_argument("--home", help="phenodag home (default $PHENODAG_HOME or ./.phenodag)")
    p.set_defaults(func=_cmd_ingest)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``phenodag`` command."""
    args = build_parser().parse_args(argv)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # Dagster's SQLite migrations, on every new home
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
