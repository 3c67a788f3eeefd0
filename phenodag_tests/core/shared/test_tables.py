from pathlib import Path

from phenodag.core.shared.settings import Settings
from phenodag.core.shared.tables import TABLES, contract_markdown
from phenodag.definitions import build_definitions

DOC = Path(__file__).resolve().parents[3] / "docs" / "tables.md"
MARKER = "<!-- generated from phenodag/core/shared/tables.py -->"


def test_docs_table_contract_is_the_schema_module() -> None:
    text = DOC.read_text()
    assert MARKER in text, f"{DOC} lost its marker line"
    assert text.split(MARKER, 1)[1].strip() == contract_markdown().strip(), (
        "docs/tables.md differs from phenodag.core.shared.tables: regenerate it with "
        "python -c 'from phenodag.core.shared.tables import contract_markdown; print(contract_markdown())'"
    )


def test_every_table_is_an_asset(settings: Settings) -> None:
    keys = {k.to_user_string() for k in build_definitions(settings).resolve_all_asset_keys()}
    assert set(TABLES) <= keys


def test_every_table_has_a_schema_constant_named_after_it() -> None:
    from phenodag.core.shared import group_schemas, schemas

    constants = {k: v for m in (schemas, group_schemas) for k, v in vars(m).items() if k.endswith("_SCHEMA")}
    for name, table in TABLES.items():
        assert constants.get(f"{name.upper()}_SCHEMA") is table.schema, name
