"""The ``phenodag`` command: demo, ingest, built on the same Dagster definitions as the UI."""

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import dagster as dg
import polars as pl

from phenodag.core.settings import Settings

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


def _cmd_demo(args: argparse.Namespace) -> int:
    from phenodag.core import lake
    from phenodag.core.toy_plate import write_toy_plate

    start = time.perf_counter()
    settings = Settings.from_env(args.home).ensure()
    for i in range(args.plates):
        folder = write_toy_plate(settings.inbox, f"DEMO_P{i + 1}", seed=args.seed + i)
        logger.info("wrote plate folder %s", folder)
        result = ingest(settings, folder)
        if not result.success:
            logger.error("ingestion of %s failed", folder)
            return 1
    if not materialize_sql(settings).success:
        logger.error("SQL models failed")
        return 1
    summary = lake.read_table(settings.lake, "plate_summary").sort("plate_id")
    with pl.Config(tbl_cols=-1, tbl_width_chars=160):
        print(summary)
    print(
        f"\nphenodag demo finished in {time.perf_counter() - start:.0f} s\n"
        f"  lake (Delta tables): {settings.lake}\n"
        f"  inbox:               {settings.inbox}\n"
        f"  Dagster UI:          make dev   (or: PHENODAG_HOME={settings.home} "
        f"DAGSTER_HOME={settings.dagster_home} dagster dev -w workspace.yaml)\n"
        f"  MLflow UI:           mlflow ui --backend-store-uri {settings.mlflow_tracking_uri}\n"
        f"  plates: {summary.height}, images: {summary['n_images'].sum()}, "
        f"quarantined files: {summary['n_quarantined'].sum()}"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``phenodag`` command."""
    parser = argparse.ArgumentParser(prog="phenodag", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="write a small plate into the inbox and materialise every asset in-process")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plates", type=int, default=2)
    p.add_argument("--home", help="phenodag home (default $PHENODAG_HOME or ./.phenodag)")
    p.set_defaults(func=_cmd_demo)

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
