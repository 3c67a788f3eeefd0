"""Declarative automation, evaluated tick by tick at chosen times (runs executed in process in between)."""

import dataclasses
import datetime as dt

import dagster as dg
import pytest

from phenodag.definitions import build_definitions
from phenodag.defs.embed import EMBED_JOB, TRAIN_CONVAE_JOB
from phenodag.defs.shared.automation import SENSOR, conditions
from phenodag.defs.shared.partitions import embedding_key
from phenodag.defs.shared.resources import LakeResource
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.runner import Runner
from phenodag_tests.toy_plate import write_toy_plate

T0 = dt.datetime(2026, 11, 21, 10, 10, tzinfo=dt.UTC)


class Ticks:
    """Evaluate the automation conditions of ``defs`` at successive times, carrying the cursor."""

    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance) -> None:
        self.defs, self.instance, self.cursor = defs, instance, None

    def at(self, minutes: float) -> dict[str, set[str]]:
        """Requested partitions (``""`` for unpartitioned) by asset, ``minutes`` after T0."""
        result = dg.evaluate_automation_conditions(
            defs=self.defs,
            instance=self.instance,
            cursor=self.cursor,
            evaluation_time=T0 + dt.timedelta(minutes=minutes),
        )
        self.cursor = result.cursor
        return {
            r.key.to_user_string(): (
                r.true_subset.expensively_compute_partition_keys() if r.true_subset.is_partitioned else {""}
            )
            for r in result.results
            if r.true_subset.size
        }


@pytest.fixture
def auto_settings(settings: DagsterSettings) -> DagsterSettings:
    return dataclasses.replace(settings, auto_encoders=("convae-random",), batch_cron="0 * * * *")


def first_plate(settings: DagsterSettings, instance: dg.DagsterInstance) -> tuple[Runner, Ticks]:
    """A home whose automation has ticked once before plate P1 lands; P1 then ingested."""
    defs = build_definitions(settings)
    runner, ticks = Runner(defs, instance), Ticks(defs, instance)
    assert ticks.at(0) == {}
    write_toy_plate(settings.inbox, "P1", sites=1)
    assert runner.ingest(settings.inbox / "P1").success
    return runner, ticks


@pytest.mark.slow
def test_a_new_plate_flows_eagerly_then_in_one_hourly_batch(
    auto_settings: DagsterSettings, instance: dg.DagsterInstance
) -> None:
    runner, ticks = first_plate(auto_settings, instance)
    eager = ticks.at(1)
    # the SQL models and the configured encoder's partition of this plate; not convae (not configured)
    assert eager == {
        "plate_summary": {""},
        "well_timecourse": {""},
        "embeddings": {"convae-random|P1"},
        "well_embeddings": {"convae-random|P1"},
    }
    assert ticks.at(2) == {}  # requested once
    assert runner.run(EMBED_JOB, embedding_key("convae-random", "P1")).success
    assert ticks.at(30) == {}  # cross-plate stages wait for the hour
    batch = ticks.at(62)
    assert batch["temporal_trajectories"] == batch["encoder_map"] == {"convae-random"}
    assert batch["image_groups"] == {""}
    assert "lens_classifier" not in batch  # waits for a trained ConvAE (convae_model missing)
    assert batch["growth_curves"] == {""}
    assert batch["response_calls"] == batch["temporal_clusters"] == {"convae-random"}  # calls only with clusters
    assert "group_cv_metrics" not in batch  # its input (image_groups) has not changed yet
    assert "group_transfer" not in batch and "group_robustness" not in batch  # no fold models yet
    assert ticks.at(63) == {} and ticks.at(125) == {}  # one run per tick, none without news
    write_toy_plate(auto_settings.inbox, "P2", sites=1, seed=4)
    assert runner.ingest(auto_settings.inbox / "P2").success
    second = ticks.at(185)  # a tick has passed, but P2's embedding is about to run: the batch waits for it
    assert second["embeddings"] == {"convae-random|P2"} and "temporal_trajectories" not in second
    assert runner.run(EMBED_JOB, embedding_key("convae-random", "P2")).success
    assert ticks.at(186)["temporal_trajectories"] == {"convae-random"}


@pytest.mark.slow
def test_a_batch_waits_for_its_encoders_first_embeddings(
    auto_settings: DagsterSettings, instance: dg.DagsterInstance
) -> None:
    """Past the hour, a plate in, its embedding not run yet: nothing that reads embeddings starts (it would fail)."""
    runner, ticks = first_plate(auto_settings, instance)
    assert ticks.at(1)["embeddings"] == {"convae-random|P1"}  # requested, but its run has not been launched yet
    batch = ticks.at(62)
    reads_embeddings = {"temporal_trajectories", "encoder_classification", "encoder_map", "embedding_umap"}
    assert not reads_embeddings & set(batch), batch
    assert runner.run(EMBED_JOB, embedding_key("convae-random", "P1")).success
    assert ticks.at(63)["temporal_trajectories"] == {"convae-random"}  # the hour that waited is still due


def test_automated_stages_come_from_settings(settings: DagsterSettings) -> None:
    only_sql = dataclasses.replace(settings, automate=("sql",))
    stage_of = {"plate_summary": "sql", "embeddings": "embed", "convae_model": "embed", "screen_report": "report"}
    assert set(conditions(only_sql, stage_of)) == {"plate_summary"}
    assert set(conditions(settings, stage_of)) == {"plate_summary", "embeddings", "screen_report"}  # not training
    defs = build_definitions(dataclasses.replace(settings, automate=()))
    graph = defs.resolve_asset_graph()
    assert all(graph.get(k).automation_condition is None for k in graph.get_all_asset_keys())
    sensor = build_definitions(settings).resolve_sensor_def(SENSOR)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


@pytest.mark.slow
def test_convae_waits_for_its_champion_then_follows(settings: DagsterSettings, instance: dg.DagsterInstance) -> None:
    """A new home: the untrained encoders embed at once, convae only once a champion is registered."""
    home = dataclasses.replace(settings, batch_cron="0 * * * *")  # default encoders
    runner, ticks = first_plate(home, instance)
    eager = ticks.at(1)
    # convae-phenoml waits for a weights file, convae for a champion; the others need nothing
    assert eager["embeddings"] == {"classical|P1", "convae-random|P1"}
    assert ticks.at(2) == {}
    config = {"ops": {"convae_model": {"config": {"steps": 2, "max_images": 8, "batch_size": 4}}}}
    assert runner.run(TRAIN_CONVAE_JOB, config=config).success
    assert ticks.at(3)["embeddings"] == {"convae|P1"}  # the partition that waited is still due


def test_training_policy_sensor_trains_a_new_home_once_it_has_enough_images(
    settings: DagsterSettings, instance: dg.DagsterInstance
) -> None:
    from phenodag.defs.embed import TRAINING_SENSOR

    home = dataclasses.replace(settings, train_min_images=4)
    defs = build_definitions(home)
    sensor = defs.resolve_sensor_def(TRAINING_SENSOR)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert "trained once the home holds 4 images" in (sensor.description or "")

    def tick(cursor: str | None) -> dg.SensorResult:
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, resources={"lake": LakeResource(root=home.lake)}
        )
        return sensor(context)  # type: ignore[return-value]

    empty = tick(None)
    assert not empty.run_requests and "0 of 4 images" in str(empty.skip_reason)
    write_toy_plate(home.inbox, "P1", sites=1)
    assert Runner(defs, instance).ingest(home.inbox / "P1").success
    due = tick(None)
    assert len(due.run_requests or []) == 1 and due.cursor == "1"
    assert not tick(due.cursor).run_requests  # asked for once at this plate count
