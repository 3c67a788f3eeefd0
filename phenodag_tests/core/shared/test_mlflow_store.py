"""The home's MLflow store: created once even when processes start together; artifacts under the home."""

import subprocess
import sys
from pathlib import Path

import mlflow
import pytest

from phenodag.core.shared.mlflow_store import use_store

CREATE = "import sys; from phenodag.core.shared.mlflow_store import use_store; use_store(sys.argv[1], sys.argv[2])"


@pytest.mark.slow
def test_processes_creating_a_new_store_at_once_all_succeed(tmp_path: Path) -> None:
    uri, root = f"sqlite:///{tmp_path / 'mlflow.db'}", tmp_path / "mlartifacts"
    procs = [subprocess.Popen([sys.executable, "-c", CREATE, uri, str(root)], stderr=subprocess.PIPE) for _ in range(3)]
    errors = [p.communicate()[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors


def test_the_default_experiment_keeps_its_artifacts_under_the_home(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    saved = mlflow.get_tracking_uri()
    try:
        use_store(uri, tmp_path / "mlartifacts")
        assert mlflow.get_tracking_uri() == mlflow.get_registry_uri() == uri
        default = mlflow.get_experiment("0")
        assert default.artifact_location == (tmp_path / "mlartifacts" / "0").as_uri()
    finally:
        mlflow.set_tracking_uri(saved)
        mlflow.set_registry_uri(saved)


def test_a_server_keeps_its_own_artifact_location_a_local_store_the_homes(tmp_path: Path) -> None:
    from phenodag.core.shared.mlflow_store import experiment_artifact_location, is_server

    assert is_server("https://mlflow.lab:5000") and not is_server(f"sqlite:///{tmp_path}/m.db")
    assert experiment_artifact_location("http://127.0.0.1:5000", tmp_path / "art") is None
    assert not (tmp_path / "art").exists()  # nothing local is made for a server
    assert experiment_artifact_location(f"sqlite:///{tmp_path}/m.db", tmp_path / "art") == (tmp_path / "art").as_uri()
