import dagster as dg
import polars as pl

from phenodag.core.shared import lake
from phenodag.core.simulate import TRUTH_FILE, simulate_screen, timelapse_design
from phenodag.defs.shared.settings import DagsterSettings
from phenodag_tests.defs.conftest import run_ingest
from phenodag_tests.toy_plate import write_toy_plate


def check(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    return next(c for c in result.get_asset_check_evaluations() if c.check_name == "covers_every_condition")


def test_simulated_plate_gets_its_truth(
    defs: dg.Definitions, instance: dg.DagsterInstance, settings: DagsterSettings
) -> None:
    design = timelapse_design(n_compounds=2, days=0.25, every_h=6, image_size=48, replicates=1)
    folder = simulate_screen(design, settings.inbox, seed=0)[0]
    result = run_ingest(defs, instance, folder.name)
    assert result.success and check(result).passed
    truth = lake.read_table(settings.lake, "sim_truth")
    assert truth.height == 2 * 3 + 1 and set(truth["plate_id"]) == {folder.name}


def test_missing_truth_row_fails_the_check(
    defs: dg.Definitions, instance: dg.DagsterInstance, settings: DagsterSettings
) -> None:
    design = timelapse_design(n_compounds=2, days=0.25, every_h=6, image_size=48, replicates=1)
    folder = simulate_screen(design, settings.inbox, seed=0)[0]
    truth = pl.read_csv(folder / TRUTH_FILE)
    truth.filter(pl.col("compound") != "CPD002").write_csv(folder / TRUTH_FILE)
    evaluation = check(run_ingest(defs, instance, folder.name))
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR


def test_real_plate_gets_an_empty_partition(
    defs: dg.Definitions, instance: dg.DagsterInstance, settings: DagsterSettings
) -> None:
    write_toy_plate(settings.inbox, "REAL1", sites=1)
    result = run_ingest(defs, instance, "REAL1")
    assert result.success and check(result).passed
    assert lake.read_table(settings.lake, "sim_truth").height == 0
