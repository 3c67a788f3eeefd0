from pathlib import Path

import pytest

from phenodag.core.shared.settings import Settings


def test_defaults_below_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("PHENODAG_LAKE", "PHENODAG_INBOX", "DAGSTER_HOME", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PHENODAG_HOME", str(tmp_path / "h"))
    s = Settings.from_env()
    assert s.home == (tmp_path / "h").resolve()
    assert s.lake == str(s.home / "lake")
    assert s.inbox == s.home / "inbox"
    assert s.dagster_home == s.home / "dagster"
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
    for path in (Path(s.lake), s.inbox, s.dagster_home, s.mlflow_artifact_root):
        assert path.is_dir()


def test_automation_settings_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHENODAG_AUTOMATE", "sql, embed")
    monkeypatch.setenv("PHENODAG_AUTO_ENCODERS", "convae-random,resnet18")
    monkeypatch.setenv("PHENODAG_BATCH_CRON", "*/5 * * * *")
    s = Settings.from_env(tmp_path)
    assert (s.automate, s.auto_encoders, s.batch_cron) == (
        ("sql", "embed"),
        ("convae-random", "resnet18"),
        "*/5 * * * *",
    )
    monkeypatch.setenv("PHENODAG_AUTOMATE", "none")
    assert Settings.from_env(tmp_path).automate == ()
    monkeypatch.setenv("PHENODAG_AUTO_ENCODERS", "convea")
    with pytest.raises(ValueError, match="PHENODAG_AUTO_ENCODERS='convea': unknown convea"):
        Settings.from_env(tmp_path)


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


def test_executor_is_checked_and_dask_needs_a_scheduler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHENODAG_HOME", str(tmp_path))
    monkeypatch.delenv("PHENODAG_DASK_SCHEDULER", raising=False)
    assert Settings.from_env().executor == "multiprocess"
    monkeypatch.setenv("PHENODAG_EXECUTOR", "ray")
    with pytest.raises(ValueError, match="PHENODAG_EXECUTOR='ray'"):
        Settings.from_env()
    monkeypatch.setenv("PHENODAG_EXECUTOR", "dask")
    with pytest.raises(ValueError, match="PHENODAG_DASK_SCHEDULER"):
        Settings.from_env()
    monkeypatch.setenv("PHENODAG_DASK_SCHEDULER", "tcp://10.0.0.5:8786")
    assert Settings.from_env().dask_scheduler == "tcp://10.0.0.5:8786"


def test_run_links_open_a_tracking_servers_own_ui(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHENODAG_HOME", str(tmp_path))
    monkeypatch.delenv("PHENODAG_MLFLOW_UI", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow.lab:5000/")
    assert Settings.from_env().mlflow_ui_url == "http://mlflow.lab:5000"
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    assert Settings.from_env().mlflow_ui_url == "http://127.0.0.1:5000"


def test_the_guide_lists_every_variable_settings_reads_and_no_other() -> None:
    """One list of the settings, in the guide: it names exactly the variables Settings reads."""
    import re

    repo = Path(__file__).resolve().parents[3]
    source = (repo / "phenodag" / "core" / "shared" / "settings.py").read_text()
    read = set(re.findall(r'"((?:PHENODAG|AWS|MLFLOW|DAGSTER)_[A-Z0-9_]+)"', source))
    guide = (repo / "docs" / "guide" / "README.md").read_text().split("## Settings", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in guide.splitlines() if line.startswith("| `")]
    listed = {
        name
        for row in rows
        for name in re.findall(r"`((?:PHENODAG|AWS|MLFLOW|DAGSTER)_[A-Z0-9_]+)`", row.split("|")[1])
    }
    assert read == listed
