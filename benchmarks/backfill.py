"""A backfill of N plates through a real dagster-daemon and its run queue: one run per partition, at most K at once.

Usage: python benchmarks/backfill.py [--plates 6] [--home DIR]

Simulates N small plates, ingests them in process, then starts ``dagster-daemon run``
and launches ``dagster job backfill`` of ``embed_job`` over the N plates (encoder
``convae-random``). The home's ``dagster.yaml`` is phenodag's own
(``phenodag.runner.INSTANCE_CONFIG``): the run queue starts at most
``MAX_CONCURRENT_RUNS`` runs at once. It prints each run's start and end (seconds from
the first start), the most runs that overlapped, and whether every run succeeded.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from phenodag.defs.embed import EMBED_JOB

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENCODER = "convae-random"


def most_overlapping(intervals: list[tuple[float, float]]) -> int:
    """The largest number of intervals that contain one instant."""
    edges = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals], key=lambda x: (x[0], x[1]))
    best = now = 0
    for _, step in edges:
        now += step
        best = max(best, now)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plates", type=int, default=6)
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args()

    import dagster as dg

    from phenodag.core.simulate import simulate_screen, timelapse_design
    from phenodag.defs.shared.settings import DagsterSettings
    from phenodag.runner import MAX_CONCURRENT_RUNS, open_runner

    home = (args.home or Path(tempfile.mkdtemp(prefix="phenodag-backfill-"))).resolve()
    settings = DagsterSettings.from_env(home).ensure()
    design = timelapse_design(
        n_compounds=2, days=0.5, every_h=4, image_size=48, replicates=args.plates, control_wells=2
    )
    plates = [f.name for f in simulate_screen(design, settings.inbox, seed=0)]
    with open_runner(settings) as runner:
        for plate in plates:
            assert runner.ingest(settings.inbox / plate).success, plate
    env = {**os.environ, "PHENODAG_HOME": str(home), "DAGSTER_HOME": str(settings.dagster_home)}
    env["PHENODAG_AUTOMATE"] = "none"
    for var in ("PHENODAG_LAKE", "PHENODAG_INBOX", "MLFLOW_TRACKING_URI"):
        env.pop(var, None)
    daemon = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-m", "phenodag.definitions"],
        cwd=REPO,
        env=env,
        stdout=(home / "daemon.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        keys = ",".join(f"{ENCODER}|{p}" for p in plates)
        launched = time.monotonic()
        command = ["job", "backfill", "-m", "phenodag.definitions", "-j", EMBED_JOB, "--partitions", keys]
        subprocess.run(
            [str(BIN / "dagster"), *command, "--noprompt"],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
        )
        with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
            while time.monotonic() - launched < 900:
                records = [r for r in instance.get_run_records() if r.dagster_run.job_name == EMBED_JOB]
                if len(records) == len(plates) and all(r.dagster_run.is_finished for r in records):
                    break
                time.sleep(2)
    finally:
        os.killpg(daemon.pid, 15)
        daemon.wait(timeout=60)
    wall = time.monotonic() - launched
    spans = [(r.start_time or 0.0, r.end_time or 0.0, r.dagster_run) for r in records]
    t0 = min(s for s, _, _ in spans)
    print(f"backfill of embed_job over {len(plates)} plates, run queue limit {MAX_CONCURRENT_RUNS}, {wall:.0f} s")
    print("| run | partition | status | start s | end s |\n| --- | --- | --- | --- | --- |")
    for start, end, run in sorted(spans, key=lambda x: x[0]):
        part = run.tags.get("dagster/partition", "").replace("|", "\\|")  # a markdown cell
        print(f"| {run.run_id[:8]} | {part} | {run.status.value} | {start - t0:.1f} | {end - t0:.1f} |")
    overlap = most_overlapping([(s, e) for s, e, _ in spans])
    ok = all(run.status.value == "SUCCESS" for _, _, run in spans)
    print(f"most runs at once: {overlap} (limit {MAX_CONCURRENT_RUNS}); all succeeded: {ok}")
    return 0 if ok and overlap <= MAX_CONCURRENT_RUNS else 1


if __name__ == "__main__":
    sys.exit(main())
