import dataclasses
from pathlib import Path

import pytest

from phenodag.core.shared.settings import Settings


def test_defaults_below_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("PHENODAG_LAKE", "PHENODAG_INBOX", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PHENODAG_HOME", str(tmp_path / "h"))
    s = Settings.from_env()
    assert s.home == (tmp_path / "h").resolve()
    assert s.lake == str(s.home / "lake")
    assert s.inbox == s.home / "inbox"
    assert s.mlflow_tracking_uri == f"sqlite:///{s.home / 'mlflow.db'}"


def test_environment_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHENODAG_HOME", str(tmp_path))
    monkeypatch.setenv("PHENODAG_LAKE", "s3://bucket/lake")
    monkeypatch.setenv("PHENODAG_INBOX", str(tmp_path / "drop"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    monkeypatch.setenv("PHENODAG_MARKER", "DONE")
    s = Settings.from_env()
    assert s.lake == "s3://bucket/lake"
    assert s.inbox == (tmp_path / "drop").resolve()
    assert s.mlflow_tracking_uri == "http://127.0.0.1:5000"
    assert s.marker == "DONE"


def test_explicit_home_wins_and_ensure_creates_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHENODAG_LAKE", str(tmp_path / "elsewhere"))
    s = Settings.from_env(tmp_path / "mine").ensure()
    assert s.lake == str((tmp_path / "mine" / "lake").resolve())
    for path in (Path(s.lake), s.inbox, s.mlflow_artifact_root):
        assert path.is_dir()


def test_an_s3_lake_gets_endpoint_region_and_conditional_put_but_no_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHENODAG_HOME", str(tmp_path))
    monkeypatch.setenv("PHENODAG_LAKE", "s3://screens/lake")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-copy")
    s = Settings.from_env()
    assert s.lake_storage_options == {
        "conditional_put": "etag",
        "endpoint": "http://127.0.0.1:9000",
        "allow_http": "true",
        "region": "eu-central-1",
    }
    assert "do-not-copy" not in repr(s)
    monkeypatch.setenv("PHENODAG_LAKE", str(tmp_path / "lake"))
    assert Settings.from_env().lake_storage_options == {}


def test_run_links_open_a_tracking_servers_own_ui(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHENODAG_HOME", str(tmp_path))
    monkeypatch.delenv("PHENODAG_MLFLOW_UI", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow.lab:5000/")
    assert Settings.from_env().mlflow_ui_url == "http://mlflow.lab:5000"
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    assert Settings.from_env().mlflow_ui_url == "http://127.0.0.1:5000"


def test_no_orchestration_in_the_core_settings() -> None:
    """The Dagster instance, executor and automation are the orchestration's (DagsterSettings), not the core's."""
    names = {f.name for f in dataclasses.fields(Settings)}
    assert not names & {"dagster_home", "executor", "dask_scheduler", "batch_cron", "automate", "sensor_interval_s"}
