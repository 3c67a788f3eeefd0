"""``dagster-webserver`` on the repo's workspace.yaml serves the code location (loopback only, bounded)."""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from phenodag_tests.e2e.conftest import stop
from phenodag_tests.helpers import free_port

REPO = Path(__file__).resolve().parents[2]
QUERY = """{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name }
  assetNodes { assetKey { path } dependencyKeys { path } }
  sensors { name sensorState { status } } schedules { name scheduleState { status } } } } } }"""


@pytest.mark.e2e
@pytest.mark.timeout(240)
def test_webserver_shows_assets_lineage_sensor_and_schedule(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "dagster").mkdir(parents=True)
    env = {**os.environ, "PHENODAG_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    port = free_port()
    binary = Path(sys.executable).with_name("dagster-webserver")
    proc = subprocess.Popen(
        [str(binary), "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        data = None
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                req = urllib.request.Request(
                    f"http://127.0.0.1:{port}/graphql",
                    data=json.dumps({"query": QUERY}).encode(),
                    headers={"Content-Type": "application/json"},
                )
                with urllib.request.urlopen(req, timeout=10) as resp:
                    data = json.load(resp)["data"]["repositoriesOrError"]["nodes"]
                if data:
                    break
            except (OSError, KeyError, TypeError):
                pass
            time.sleep(2)
        assert data, "webserver did not serve the code location"
        repo = data[0]
        assert repo["location"]["name"] == "phenodag"
        deps = {
            "/".join(a["assetKey"]["path"]): {"/".join(d["path"]) for d in a["dependencyKeys"]}
            for a in repo["assetNodes"]
        }
        assert deps["plate_summary"] == {"raw_images", "quarantine", "plates"}
        assert {"raw_images", "well_timecourse"} <= set(deps)
        sensors = {s["name"]: s["sensorState"]["status"] for s in repo["sensors"]}
        assert sensors == {
            "inbox_sensor": "RUNNING",
            "phenodag_automation": "RUNNING",
            "convae_training_policy": "RUNNING",
        }
        assert {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]} == {"inbox_sweep": "RUNNING"}
    finally:
        stop(proc)
