"""MLflow as a shared server: ``mlflow server`` on loopback (SQLite backend, artifacts on the local S3 API)."""

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from phenodag.core.simulate import simulate_screen, timelapse_design
from phenodag.defs.embed import TRAIN_CONVAE_JOB
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.runner import open_runner
from phenodag_tests.e2e.conftest import stop
from phenodag_tests.helpers import free_port
from phenodag_tests.s3 import CREDENTIALS, S3

BIN = Path(sys.executable).parent


@pytest.fixture
def mlflow_server(s3: S3, tmp_path: Path) -> Iterator[str]:
    """An ``mlflow server`` whose artifacts go to ``s3://<bucket>/mlartifacts``; yields its address."""
    port = free_port()
    env = {**os.environ, **CREDENTIALS, "MLFLOW_S3_ENDPOINT_URL": s3.endpoint, "AWS_DEFAULT_REGION": "us-east-1"}
    cmd = [
        str(BIN / "mlflow"),
        "server",
        *("--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}"),
        *("--artifacts-destination", f"s3://{s3.bucket}/mlartifacts"),
        *("--host", "127.0.0.1", "--port", str(port), "--workers", "1"),
    ]
    log = (tmp_path / "mlflow-server.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mlflow server did not start: {(tmp_path / 'mlflow-server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        stop(proc)
        log.close()


def test_train_on_a_shared_server_then_embed_with_its_champion(
    mlflow_server: str, s3: S3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    for var in ("AWS_ENDPOINT_URL", "MLFLOW_S3_ENDPOINT_URL", *CREDENTIALS):  # the client needs no S3 access
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PHENODAG_HOME", str(home))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    settings = DagsterSettings.from_env().ensure()
    assert settings.mlflow_ui_url == mlflow_server  # Dagster's run links open the server's own UI
    design = timelapse_design(n_compounds=2, days=0.5, every_h=6, image_size=64, replicates=1, control_wells=2)
    plates = [f.name for f in simulate_screen(design, settings.inbox, seed=0)]
    with open_runner(settings) as runner:
        for plate in plates:
            assert runner.ingest(settings.inbox / plate).success
        train = {"ops": {"convae_model": {"config": {"steps": 20, "max_images": 20, "seed": 0}}}}
        assert runner.run(TRAIN_CONVAE_JOB, config=train).success

    assert not (home / "mlflow.db").exists()  # tracked on the server, not in a local store
    assert not any((home / "mlartifacts").rglob("MLmodel"))
    assert any(k.endswith("/MLmodel") for k in s3.keys("mlartifacts/"))  # the model's files are on the S3 API

    images = sorted(p for p in (settings.inbox / plates[0]).rglob("*") if p.suffix in {".png", ".tif", ".jpg"})[:3]
    out = tmp_path / "vectors.parquet"
    done = subprocess.run(
        [str(BIN / "phenodag"), "embed", "--encoder", "convae", *map(str, images), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    vectors = pl.read_parquet(out)
    assert vectors.height == len(images) == 3
    assert "(convae, mlflow:phenodag-convae/1)" in done.stderr  # the champion, resolved in the server's registry
