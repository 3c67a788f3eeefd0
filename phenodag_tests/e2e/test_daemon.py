"""A real dagster-daemon takes dropped plates from the inbox through every automated stage (bounded, loopback only).

The sensor ingests the plates; declarative automation then runs the SQL models and the
``convae-random`` embeddings of each plate at once, and the cross-plate stages on the
next tick of a one-minute batch cron. The home's ``stage_config.yaml`` sizes the
trained stages for a test; the ConvAE (never automated) is trained by the test once
the plates have landed, which lets the lens follow.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
import yaml

from phenodag.core.shared import lake
from phenodag.core.shared.settings import Settings
from phenodag.core.shared.vocab import AUTOMATED_STAGES
from phenodag.core.simulate import simulate_screen, timelapse_design
from phenodag_tests.e2e.conftest import stop
from phenodag_tests.toy_plate import write_toy_plate

REPO = Path(__file__).resolve().parents[2]
DEADLINE_S = 540
PER_PLATE = ("raw_images", "plate_summary", "well_timecourse", "embeddings", "well_embeddings")
CROSS_PLATE = (
    "temporal_trajectories",
    "temporal_clusters",
    "encoder_map",
    "encoder_similarity",
    "encoder_comparison",
    "image_groups",
    "group_cv_metrics",
    "group_robustness",
    "lens_metrics",
)
STAGE_CONFIG = {
    "image_groups": {"n_folds": 2},
    "group_cv": {"features": "embeddings:convae-random", "epochs": 3, "batch_groups": 2, "log_models": False},
    "group_robustness": {"blur_kernels": [3], "noise_sds": [0.5], "max_copies": 1},
    "lens_classifier": {"classifier_epochs": 20, "max_images": 16},
    "lens": {"steps": 2, "max_images": 16},
}
"""Test-sized defaults of the trained stages, in the home's ``stage_config.yaml``."""
TRAIN = {"ops": {"convae_model": {"config": {"steps": 5, "max_images": 32}}}}


def _landed(settings: Settings, plates: list[str]) -> dict[str, bool]:
    """Whether each table has rows of every plate (cross-plate tables: rows written after the plates landed)."""
    out = {}
    for table in PER_PLATE:
        ok = lake.table_exists(settings.lake, table)
        if ok:
            df = lake.read_table(settings.lake, table)
            ok = set(plates) <= set(df["plate_id"]) if "plate_id" in df.columns else False
        out[table] = ok
    for table in CROSS_PLATE:
        out[table] = lake.table_exists(settings.lake, table) and lake.read_table(settings.lake, table).height > 0
    return out


def _train(env: dict[str, str]) -> bool:
    """Train the ConvAE in another process on the same instance, as a user's launch would (never automated)."""
    code = (
        "from phenodag.runner import open_runner; from phenodag.core.shared.settings import Settings\n"
        "with open_runner(Settings.from_env()) as runner:\n"
        f"    assert runner.run('train_convae_job', config={TRAIN!r}).success"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=REPO, timeout=300)
    return True


@pytest.mark.e2e
@pytest.mark.timeout(DEADLINE_S + 60)
def test_daemon_carries_dropped_plates_through_every_automated_stage(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = Settings.from_env(home).ensure()
    design = timelapse_design(n_compounds=2, days=0.5, every_h=4, image_size=48, replicates=2, control_wells=2)
    plates = [f.name for f in simulate_screen(design, settings.inbox, seed=0)]
    write_toy_plate(settings.inbox, "E2E_WAIT", sites=1, seed=2, complete=False)
    env = {
        **os.environ,
        "PHENODAG_HOME": str(home),
        "DAGSTER_HOME": str(settings.dagster_home),
        "PHENODAG_SENSOR_INTERVAL_S": "5",
        "PHENODAG_AUTOMATE": ",".join(AUTOMATED_STAGES),
        "PHENODAG_AUTO_ENCODERS": "convae-random",
        "PHENODAG_BATCH_CRON": "* * * * *",
    }
    for var in ("PHENODAG_LAKE", "PHENODAG_INBOX", "MLFLOW_TRACKING_URI"):
        env.pop(var, None)
    stages = {op: {"config": config} for op, config in STAGE_CONFIG.items()}
    settings.stage_config.write_text(yaml.safe_dump({"ops": stages}))  # type: ignore[union-attr]
    subprocess.run([str(Path(sys.executable).with_name("phenodag")), "init"], env=env, check=True, cwd=REPO)
    log = (tmp_path / "daemon.log").open("w")
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-daemon")), "run", "-m", "phenodag.definitions"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + DEADLINE_S
        landed: dict[str, bool] = {}
        trained = False
        while time.monotonic() < deadline and proc.poll() is None:
            landed = _landed(settings, plates)
            if not trained and landed["raw_images"]:
                trained = _train(env)
            if all(landed.values()):
                break
            time.sleep(5)
        tail = (tmp_path / "daemon.log").read_text()[-3000:]
        assert proc.poll() is None, tail
        assert all(landed.values()), f"{landed}\n{tail}"
        assert "E2E_WAIT" not in set(lake.read_table(settings.lake, "raw_images")["plate_id"])  # incomplete: not taken
        traj = lake.read_table(settings.lake, "temporal_trajectories")
        assert set(traj["encoder"]) == {"convae-random"}  # only the configured encoder
        emb = lake.read_table(settings.lake, "embeddings", columns=["encoder", "plate_id"])
        assert emb.select(pl.col("encoder").unique()).to_series().to_list() == ["convae-random"]
    finally:
        stop(proc)
        log.close()
