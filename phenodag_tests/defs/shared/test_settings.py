"""The orchestration's settings: Dagster instance, executor, automation, training policy, from the environment."""

from pathlib import Path

import pytest

from phenodag.defs.shared.settings import DagsterSettings


def test_dagster_home_below_home_and_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("PHENODAG_HOME", str(tmp_path / "h"))
    s = DagsterSettings.from_env()
    assert s.dagster_home == s.home / "dagster" and s.stage_config == s.home / "stage_config.yaml"
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "elsewhere"))
    assert DagsterSettings.from_env().dagster_home == (tmp_path / "elsewhere").resolve()
    mine = DagsterSettings.from_env(tmp_path / "mine").ensure()  # an explicit home wins over DAGSTER_HOME
    assert mine.dagster_home == (tmp_path / "mine" / "dagster").resolve() and mine.dagster_home.is_dir()


def test_automation_settings_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHENODAG_AUTOMATE", "sql, embed")
    monkeypatch.setenv("PHENODAG_AUTO_ENCODERS", "convae-random,resnet18")
    monkeypatch.setenv("PHENODAG_BATCH_CRON", "*/5 * * * *")
    s = DagsterSettings.from_env(tmp_path)
    assert (s.automate, s.auto_encoders, s.batch_cron) == (
        ("sql", "embed"),
        ("convae-random", "resnet18"),
        "*/5 * * * *",
    )
    monkeypatch.setenv("PHENODAG_AUTOMATE", "none")
    assert DagsterSettings.from_env(tmp_path).automate == ()
    monkeypatch.setenv("PHENODAG_AUTO_ENCODERS", "convea")
    with pytest.raises(ValueError, match="PHENODAG_AUTO_ENCODERS='convea': unknown convea"):
        DagsterSettings.from_env(tmp_path)


def test_executor_is_checked_and_dask_needs_a_scheduler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHENODAG_HOME", str(tmp_path))
    monkeypatch.delenv("PHENODAG_DASK_SCHEDULER", raising=False)
    assert DagsterSettings.from_env().executor == "in_process"
    monkeypatch.setenv("PHENODAG_EXECUTOR", "ray")
    with pytest.raises(ValueError, match="PHENODAG_EXECUTOR='ray'"):
        DagsterSettings.from_env()
    monkeypatch.setenv("PHENODAG_EXECUTOR", "dask")
    with pytest.raises(ValueError, match="PHENODAG_DASK_SCHEDULER"):
        DagsterSettings.from_env()
    monkeypatch.setenv("PHENODAG_DASK_SCHEDULER", "tcp://10.0.0.5:8786")
    assert DagsterSettings.from_env().dask_scheduler == "tcp://10.0.0.5:8786"


def test_the_training_policy_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHENODAG_TRAIN_MIN_IMAGES", "40")
    monkeypatch.setenv("PHENODAG_RETRAIN_AFTER_PLATES", "3")
    policy = DagsterSettings.from_env(tmp_path).training_policy
    assert (policy.min_images, policy.retrain_after_plates) == (40, 3)
    monkeypatch.setenv("PHENODAG_TRAIN_MIN_IMAGES", "many")
    with pytest.raises(ValueError, match="PHENODAG_TRAIN_MIN_IMAGES='many'"):
        DagsterSettings.from_env(tmp_path)


def test_the_guide_lists_every_variable_settings_reads_and_no_other() -> None:
    """One list of the settings, in the guide: it names exactly the variables the two settings modules read."""
    import re

    repo = Path(__file__).resolve().parents[3]
    source = "".join((repo / "phenodag" / layer / "shared" / "settings.py").read_text() for layer in ("core", "defs"))
    read = set(re.findall(r'"((?:PHENODAG|AWS|MLFLOW|DAGSTER)_[A-Z0-9_]+)"', source))
    guide = (repo / "docs" / "guide" / "README.md").read_text().split("## Settings", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in guide.splitlines() if line.startswith("| `")]
    listed = {
        name
        for row in rows
        for name in re.findall(r"`((?:PHENODAG|AWS|MLFLOW|DAGSTER)_[A-Z0-9_]+)`", row.split("|")[1])
    }
    assert read == listed
