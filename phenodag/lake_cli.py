"""``phenodag lake check`` and ``phenodag lake repair``: find and mend damaged tables of a home's lake.

``check`` verifies every table of the contract (commit log readable, every data file
present) and exits 1 when something is damaged. ``repair`` mends each damaged table
(:mod:`phenodag.core.shared.lake_health`), then re-ingests, from the inbox, every plate
whose ``raw_images`` rows no longer match its ``plates`` row (lost files, dropped
commits), so the ingestion tables are whole again; plate-partitioned derived tables
(embeddings) are re-materialised by their own runs. ``repair --table T --version N``
restores one table to an earlier version instead (Delta time travel).
"""

from __future__ import annotations

import argparse
import logging

from phenodag.core.shared import lake
from phenodag.core.shared.lake_health import check_lake, plates_to_reingest, repair_table, restore
from phenodag.core.shared.tables import TABLES
from phenodag.defs.shared.settings import DagsterSettings

logger = logging.getLogger(__name__)


def _cmd_check(args: argparse.Namespace) -> int:
    settings = DagsterSettings.from_env(args.home)
    results = check_lake(settings.lake, list(TABLES), settings.lake_storage_options)
    for health in results:
        (logger.info if health.ok else logger.error)("%s", health.summary())
    damaged = [h.name for h in results if not h.ok]
    if damaged:
        logger.error("damaged: %s; run 'phenodag lake repair' to mend them", ", ".join(damaged))
        return 1
    logger.info("%d table(s) checked, all readable", len(results))
    return 0


def _reingest(settings: DagsterSettings) -> bool:
    from phenodag.core.ingest.inbox import find_plate_folder
    from phenodag.runner import open_runner

    todo = plates_to_reingest(settings.lake, settings.lake_storage_options)
    if not todo:
        return True
    ok = True
    with open_runner(settings) as runner:
        for plate_id in todo:
            folder = find_plate_folder(settings.inbox, plate_id)
            if folder is None:
                logger.error("plate %s lost rows; put its folder back in %s", plate_id, settings.inbox)
                ok = False
                continue
            logger.info("re-ingesting %s from %s", plate_id, folder)
            ok = runner.ingest(folder, plate_id).success and ok
    return ok


def _cmd_repair(args: argparse.Namespace) -> int:
    settings = DagsterSettings.from_env(args.home)
    opts = settings.lake_storage_options
    if args.version is not None:
        if not args.table:
            logger.error("--version needs --table")
            return 2
        restore(settings.lake, args.table, args.version, opts)
        return 0
    names = [args.table] if args.table else list(TABLES)
    failed = []
    for name in names:
        if not lake.table_exists(settings.lake, name, opts):
            continue
        try:
            health = repair_table(settings.lake, name, opts)
        except RuntimeError as exc:
            logger.error("%s", exc)
            failed.append(name)
            continue
        logger.info("%s", "mended: " + health.summary() if not health.ok else health.summary())
    if not args.no_reingest and not _reingest(settings):
        failed.append("re-ingestion")
    return 1 if failed else 0


def add_lake_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``phenodag lake check|repair`` to the command's sub-parsers."""
    p = sub.add_parser("lake", help="check the lake's tables, or repair damaged ones")
    actions = p.add_subparsers(dest="action", required=True)
    c = actions.add_parser("check", help="verify every table's commit log and data files")
    c.add_argument("--home", help="phenodag home (default $PHENODAG_HOME or ./.phenodag)")
    c.set_defaults(func=_cmd_check)
    r = actions.add_parser("repair", help="mend damaged tables and re-ingest plates that lost rows")
    r.add_argument("--home", help="phenodag home (default $PHENODAG_HOME or ./.phenodag)")
    r.add_argument("--table", help="only this table")
    r.add_argument("--version", type=int, help="restore --table to this earlier version (time travel) instead")
    r.add_argument("--no-reingest", action="store_true", help="do not re-ingest plates that lost rows")
    r.set_defaults(func=_cmd_repair)
