from phenodag.core.shared import group_schemas
from phenodag.core.shared.tables import TABLES


def test_every_groups_table_takes_its_columns_from_the_group_schemas_and_holds_its_partition_columns() -> None:
    ours = {id(v) for k, v in vars(group_schemas).items() if k.endswith("_SCHEMA")}
    groups = [t for t in TABLES.values() if t.stage == "groups"]
    assert len(groups) == len(ours) == 8
    for table in groups:
        assert id(table.schema) in ours, table.name
        assert set(table.partition_by) <= set(table.schema), table.name
