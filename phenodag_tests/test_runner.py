from pathlib import Path

import pytest
import yaml

from phenodag.defs.embed import EMBED_JOB
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.runner import ensure_instance, folder_arrival, home_job, open_runner
from phenodag_tests.toy_plate import write_toy_plate


def test_instance_config_captures_phenodag_loggers_and_is_kept(settings: DagsterSettings) -> None:
    path = ensure_instance(settings)
    assert yaml.safe_load(path.read_text())["python_logs"]["managed_python_loggers"] == ["phenodag"]
    path.write_text("telemetry:\n  enabled: false\n")  # a user's own config is left alone
    ensure_instance(settings)
    assert "python_logs" not in path.read_text()


def test_core_log_lines_reach_the_run_event_log_once(settings: DagsterSettings, tmp_path: Path) -> None:
    folder = write_toy_plate(tmp_path, "LOG1", sites=1)
    with open_runner(settings) as runner:
        result = runner.ingest(folder)
        assert result.success
        messages = [e.user_message for e in runner.instance.all_logs(result.run_id)]
    summary = [m for m in messages if m.startswith("LOG1: 16 images")]
    assert len(summary) == 1  # core's own line, captured by the managed logger, not logged again by defs


def test_folder_arrival_keeps_a_refused_folder_under_its_name(tmp_path: Path) -> None:
    folder = write_toy_plate(tmp_path, "upload_1", sites=1)
    (folder / "plate.yaml").write_text("plate_id: ../evil\n")
    found = folder_arrival(folder)
    assert found.plate_id == "upload_1" and found.problem is not None
    (folder / "plate.yaml").write_text("plate_id: CL1\n")
    assert folder_arrival(folder).plate_id == "CL1"
    assert folder_arrival(folder, "OTHER").plate_id == "OTHER"


def test_dask_workers_rebuild_the_runners_own_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHENODAG_HOME", str(tmp_path / "env-home"))
    monkeypatch.setenv("PHENODAG_LAKE", str(tmp_path / "shared-lake"))
    monkeypatch.setenv("PHENODAG_EXECUTOR", "dask")
    monkeypatch.setenv("PHENODAG_DASK_SCHEDULER", "tcp://127.0.0.1:1")  # never contacted here
    with open_runner(DagsterSettings.from_env()) as runner:
        assert runner.distributed and runner.worker_home is None  # the environment's settings: its lake holds
        lake_config = home_job(runner.worker_home, EMBED_JOB).resource_defs["lake"].config_schema.default_value
        assert lake_config["root"] == str((tmp_path / "shared-lake").resolve())
    runner_settings = DagsterSettings.from_env(tmp_path / "cli-home")
    with open_runner(runner_settings) as runner:  # `--home`: its own paths
        assert runner.worker_home == str((tmp_path / "cli-home").resolve())
        with pytest.raises(ValueError, match="only in process"), open_runner(runner_settings, {"lake": None}):
            pass
