import re
from pathlib import Path

import dagster as dg
import yaml

from phenodag.definitions import defs as module_defs

REPO = Path(__file__).resolve().parents[1]


def test_definitions_load_with_assets_sensor_schedule(defs: dg.Definitions) -> None:
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    assert {
        "raw_images",
        "quarantine",
        "plates",
        "sim_truth",
        "plate_summary",
        "well_timecourse",
        "convae_model",
        "embeddings",
        "well_embeddings",
    } <= keys
    assert defs.resolve_sensor_def("inbox_sensor").default_status == dg.DefaultSensorStatus.RUNNING
    assert defs.resolve_schedule_def("inbox_sweep").default_status == dg.DefaultScheduleStatus.RUNNING
    assert defs.resolve_schedule_def("inbox_sweep").cron_schedule == "0 3 * * *"
    assert set(defs.resources or {}) >= {"lake", "inbox", "mlflow", "torch", "encoders"}


def test_module_level_definitions_validate() -> None:
    dg.Definitions.validate_loadable(module_defs)


def test_workspace_points_at_the_module() -> None:
    workspace = yaml.safe_load((REPO / "workspace.yaml").read_text())
    assert workspace["load_from"][0]["python_module"]["module_name"] == "phenodag.definitions"


def test_sql_model_lineage(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    deps = {
        key.to_user_string(): {p.to_user_string() for p in graph.get(key).parent_keys}
        for key in graph.get_all_asset_keys()
    }
    assert deps["plate_summary"] == {"raw_images", "quarantine", "plates"}
    assert deps["well_timecourse"] == {"raw_images"}


def test_raw_images_is_partitioned_by_plate_with_checks(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    node = graph.get(dg.AssetKey("raw_images"))
    assert isinstance(node.partitions_def, dg.DynamicPartitionsDefinition) and node.partitions_def.name == "plates"
    checks = {c.name for c in graph.get_check_keys_for_assets({dg.AssetKey("raw_images")})}
    assert checks == {
        "plate_accepted",
        "no_quarantined_files",
        "all_wells_mapped",
        "expected_timepoints",
        "platemap_wells_imaged",
    }


def test_embeddings_are_partitioned_by_encoder_and_plate(defs: dg.Definitions) -> None:
    node = defs.resolve_asset_graph().get(dg.AssetKey("embeddings"))
    assert isinstance(node.partitions_def, dg.MultiPartitionsDefinition)
    assert {d.name for d in node.partitions_def.partitions_defs} == {"encoder", "plate"}
    assert {p.to_user_string() for p in node.parent_keys} == {"raw_images", "convae_model"}


def test_readme_lineage_picture_is_the_asset_graph(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    edges = {
        (p.to_user_string(), key.to_user_string())
        for key in graph.get_all_asset_keys()
        for p in graph.get(key).parent_keys
    }
    readme = (REPO / "docs" / "architecture.md").read_text()
    mermaid = readme.split("```mermaid", 1)[1].split("```", 1)[0]
    drawn = set(re.findall(r"^\s*(\w+) --> (\w+)\s*$", mermaid, flags=re.M))
    assert drawn == edges


def test_asset_groups_are_the_stage_names(defs: dg.Definitions) -> None:
    """One name per concept: each asset's group is the name of the defs module (the stage) that defines it."""
    import importlib

    stages = {p.stem for p in (REPO / "phenodag" / "defs").glob("*.py")} - {"__init__"}
    for stage in stages:
        assert stage == importlib.import_module(f"phenodag.defs.{stage}").GROUP
    graph = defs.resolve_asset_graph()
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups == stages
