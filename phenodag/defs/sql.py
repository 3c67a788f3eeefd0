"""SQL models: each file of ``dbt_like_sql/`` becomes an asset that writes its own Delta table."""

from pathlib import Path

import dagster as dg

from phenodag.core.sql.run import SqlModel, SqlModelError, parse_model, run_model
from phenodag.defs.shared.metadata import write_metadata
from phenodag.defs.shared.resources import LakeResource
from phenodag.defs.shared.settings import DagsterSettings

GROUP = "sql"
SQL_MODELS_JOB = "sql_models_job"


def build_sql_asset(model: SqlModel) -> dg.AssetsDefinition:
    """Return the asset that runs ``model`` over the lake and writes table ``model.name``."""

    @dg.asset(
        name=model.name,
        deps=[dg.AssetKey(name) for name in model.dependencies],
        group_name=GROUP,
        kinds={"sql", "polars", "delta"},
        description=model.description or f"SQL model {model.path.name}",
        metadata={
            "sql_file": dg.MetadataValue.path(model.path.name),  # in PHENODAG_SQL_DIR
            "sql": dg.MetadataValue.md(f"```sql\n{model.text}\n```"),
        },
    )
    def _sql_asset(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
        current = parse_model(model.path)  # the file as it is now, so edits need no reload
        tables = {name: lake.scan(name) for name in current.dependencies if lake.exists(name)}
        df = run_model(current, tables)
        info = lake.write_table(current.name, df)
        return dg.MaterializeResult(metadata=write_metadata(info, df))

    return _sql_asset


def build_broken_asset(path: Path, error: SqlModelError) -> dg.AssetsDefinition:
    """Return an asset that fails with the parse error of ``path`` (the code location still loads)."""

    @dg.asset(name=path.stem, group_name=GROUP, description=f"Broken SQL model: {error}")
    def _broken(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        raise error

    return _broken


def load_sql_assets(folder: Path) -> list[dg.AssetsDefinition]:
    """Build one asset per ``*.sql`` file of ``folder`` (``DagsterSettings.sql_dir``).

    A folder that does not exist or holds no ``*.sql`` file is an error (``SqlModelError``
    naming the folder and ``PHENODAG_SQL_DIR``), never a silently empty stage.
    """
    paths = sorted(folder.glob("*.sql")) if folder.is_dir() else []
    if not paths:
        state = "holds no *.sql file" if folder.is_dir() else "does not exist"
        raise SqlModelError(
            f"the SQL models' folder {folder} {state}: set PHENODAG_SQL_DIR to a folder of *.sql models "
            "(the package ships its own as phenodag/dbt_like_sql)"
        )
    assets = []
    for path in paths:
        try:
            assets.append(build_sql_asset(parse_model(path)))
        except SqlModelError as exc:
            assets.append(build_broken_asset(path, exc))
    return assets


sql_models_job = dg.define_asset_job(
    SQL_MODELS_JOB,
    selection=dg.AssetSelection.groups(GROUP),
    description="Materialise every SQL model over the current lake.",
)


def definitions(settings: DagsterSettings) -> dg.Definitions:
    """Return the sql stage's assets, jobs, sensors and schedules for the home ``settings``."""
    return dg.Definitions(assets=load_sql_assets(settings.sql_dir), jobs=[sql_models_job])
