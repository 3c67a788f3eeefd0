"""A real dagster-daemon picks a plate up from the inbox through the sensor (bounded, loopback only)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from phenodag.core.shared import lake
from phenodag.core.shared.settings import Settings
from phenodag_tests.e2e.conftest import stop
from phenodag_tests.toy_plate import write_toy_plate

REPO = Path(__file__).resolve().parents[2]
DEADLINE_S = 240


@pytest.mark.e2e
@pytest.mark.timeout(DEADLINE_S + 60)
def test_daemon_sensor_ingests_a_dropped_plate(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = Settings.from_env(home).ensure()
    write_toy_plate(settings.inbox, "E2E_P1", sites=1)
    write_toy_plate(settings.inbox, "E2E_WAIT", sites=1, seed=2, complete=False)
    env = {
        **os.environ,
        "PHENODAG_HOME": str(home),
        "DAGSTER_HOME": str(settings.dagster_home),
        "PHENODAG_SENSOR_INTERVAL_S": "5",
    }
    for var in ("PHENODAG_LAKE", "PHENODAG_INBOX", "MLFLOW_TRACKING_URI"):
        env.pop(var, None)
    daemon_bin = Path(sys.executable).with_name("dagster-daemon")
    log = (tmp_path / "daemon.log").open("w")
    proc = subprocess.Popen(
        [str(daemon_bin), "run", "-m", "phenodag.definitions"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + DEADLINE_S
        rows = 0
        while time.monotonic() < deadline and proc.poll() is None:
            if lake.table_exists(settings.lake, "plates"):
                plates = lake.read_table(settings.lake, "plates")
                if "E2E_P1" in plates["plate_id"].to_list():
                    rows = lake.read_table(settings.lake, "raw_images", filters={"plate_id": "E2E_P1"}).height
                    break
            time.sleep(2)
        assert proc.poll() is None, (tmp_path / "daemon.log").read_text()[-3000:]
        assert rows == 16, (tmp_path / "daemon.log").read_text()[-3000:]
        raw = lake.read_table(settings.lake, "raw_images")
        assert set(raw["plate_id"]) == {"E2E_P1"}  # the incomplete plate was not taken
    finally:
        stop(proc)
        log.close()
