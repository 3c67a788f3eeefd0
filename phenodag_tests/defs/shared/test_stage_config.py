"""Per-home config defaults: read from the home YAML, used by runs without config, beaten by a run's own."""

from pathlib import Path

import dagster as dg
import pytest

from phenodag.definitions import build_definitions
from phenodag.defs.shared.settings import STAGE_CONFIG_FILE, DagsterSettings
from phenodag.defs.shared.stage_config import read_stage_config, with_config_defaults

SEEN: list[tuple[int, str]] = []


class ToyConfig(dg.Config):
    """A stage's config with code defaults."""

    epochs: int = 20
    features: str = "resnet18"


@dg.asset
def toy(config: ToyConfig) -> None:
    """Record the config the run saw."""
    SEEN.append((config.epochs, config.features))


def _run(asset: dg.AssetsDefinition, run_config: dict | None = None) -> tuple[int, str]:
    SEEN.clear()
    assert dg.materialize([asset], run_config=run_config).success
    return SEEN[0]


def test_a_run_without_config_takes_the_home_defaults_and_a_run_config_still_wins() -> None:
    (changed,) = with_config_defaults([toy], {"toy": {"epochs": 2}}, "stage_config.yaml")
    assert _run(toy) == (20, "resnet18")
    assert _run(changed) == (2, "resnet18")
    assert _run(changed, {"ops": {"toy": {"config": {"epochs": 20}}}}) == (20, "resnet18")
    assert _run(changed, {"ops": {"toy": {"config": {"epochs": 5, "features": "x"}}}}) == (5, "x")


@pytest.mark.parametrize(
    ("defaults", "message"),
    [
        ({"nope": {"epochs": 2}}, "no op named nope"),
        ({"toy": {"epoch": 2}}, "ops.toy: no field epoch"),
        ({"toy": {"epochs": "two"}}, "ops.toy.config.epochs='two'"),
    ],
)
def test_unknown_ops_fields_and_wrong_types_name_the_file(defaults: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        with_config_defaults([toy], defaults, "home/stage_config.yaml")
    assert "home/stage_config.yaml" in str(info.value)


def test_read_stage_config_takes_the_launchpad_shape_and_names_the_file_otherwise(tmp_path: Path) -> None:
    path = tmp_path / STAGE_CONFIG_FILE
    assert read_stage_config(path) == {}
    path.write_text("ops:\n  group_cv:\n    config: {epochs: 2}\n")
    assert read_stage_config(path) == {"group_cv": {"epochs": 2}}
    for bad in ("resources: {}\n", "ops:\n  group_cv: {epochs: 2}\n", "ops: [\n"):
        path.write_text(bad)
        with pytest.raises(ValueError, match=str(path)):
            read_stage_config(path)


def test_the_homes_file_sets_the_defaults_of_the_definitions(tmp_path: Path) -> None:
    settings = DagsterSettings.from_env(tmp_path)
    assert settings.stage_config == tmp_path.resolve() / STAGE_CONFIG_FILE
    settings.stage_config.write_text("ops:\n  group_cv:\n    config: {features: 'embeddings:convae', epochs: 2}\n")
    fields = build_definitions(settings).resolve_assets_def("group_cv_metrics").op.config_schema.as_field()
    assert fields.config_type.fields["epochs"].default_value == 2
    assert fields.config_type.fields["features"].default_value == "embeddings:convae"
    settings.stage_config.write_text("ops:\n  group_cv:\n    config: {epochz: 2}\n")
    with pytest.raises(ValueError, match="no field epochz"):
        build_definitions(settings)
