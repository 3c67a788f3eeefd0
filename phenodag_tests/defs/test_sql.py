from pathlib import Path

import dagster as dg
import pytest

from phenodag.core.sql.run import SqlModelError
from phenodag.defs.ingest import ingest_plate_assets
from phenodag.defs.shared.resources import InboxResource, LakeResource, MlflowResource
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.defs.sql import load_sql_assets
from phenodag_tests.toy_plate import write_toy_plate


def materialize(settings: DagsterSettings, sql_dir: Path, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    resources = {
        "lake": LakeResource(root=settings.lake),
        "inbox": InboxResource(path=str(settings.inbox)),
        "mlflow": MlflowResource(
            tracking_uri=settings.mlflow_tracking_uri, artifact_root=str(settings.mlflow_artifact_root)
        ),
    }
    write_toy_plate(settings.inbox, "P1", sites=1)
    instance.add_dynamic_partitions("plates", ["P1"])
    dg.materialize([ingest_plate_assets], partition_key="P1", resources=resources, instance=instance)
    return dg.materialize(load_sql_assets(sql_dir), resources=resources, instance=instance, raise_on_error=False)


def test_good_models_materialise(settings: DagsterSettings, instance: dg.DagsterInstance) -> None:
    repo_sql = Path(__file__).resolve().parents[2] / "dbt_like_sql"
    result = materialize(settings, repo_sql, instance)
    assert result.success
    events = [e.materialization for e in result.get_asset_materialization_events()]
    meta = {m.asset_key.to_user_string(): m.metadata for m in events}
    assert meta["plate_summary"]["dagster/row_count"].value == 1
    assert meta["well_timecourse"]["dagster/row_count"].value == 16  # 4 wells x 4 time points


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("select plate_id\nfrom {{ ref('missing_table') }}\n", "bad.sql:2: ref('missing_table')"),
        ("select plate_id,\n  no_such_column\nfrom {{ source('raw_images') }}\n", "bad.sql:2:"),
        ("select\nfrom from {{ source('raw_images') }}\n", "bad.sql:2:"),
        ("select 1\n{% if x %}{{ x }}{% endif %}\n", "bad.sql:2: unsupported template"),
    ],
)
def test_bad_models_fail_naming_file_and_line(
    settings: DagsterSettings, instance: dg.DagsterInstance, tmp_path: Path, text: str, where: str
) -> None:
    sql_dir = tmp_path / "sql"
    sql_dir.mkdir()
    (sql_dir / "bad.sql").write_text(text)
    result = materialize(settings, sql_dir, instance)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert failure is not None
    errors = [failure, *([failure.cause] if failure.cause else [])]
    assert any(e.cls_name == SqlModelError.__name__ and where in e.message for e in errors), errors


@pytest.mark.parametrize("make", [lambda p: p, lambda p: (p.mkdir(), p)[1]])
def test_a_missing_or_empty_sql_folder_is_an_error_naming_it(tmp_path: Path, make: object) -> None:
    folder = tmp_path / "sql"
    make(folder)  # type: ignore[operator]
    with pytest.raises(SqlModelError, match=f"{folder}.*PHENODAG_SQL_DIR"):
        load_sql_assets(folder)


def test_the_packaged_sql_folder_is_the_repository_models() -> None:
    from phenodag.core.shared.settings import REPO_SQL_DIR

    top = Path(__file__).resolve().parents[2] / "dbt_like_sql"
    assert sorted(p.name for p in REPO_SQL_DIR.glob("*.sql")) == sorted(p.name for p in top.glob("*.sql")) != []
