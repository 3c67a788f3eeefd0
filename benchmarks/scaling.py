"""How cost grows with the screen: every per-plate stage and the cross-plate ones at 1x to 64x the images.

Usage: python benchmarks/scaling.py [--scales 1 4 16 64] [--encoder convae-random]

Each scale is a fresh home in its own process: the demo's screen without its
morphology-only compounds, one field per well (5 compounds x 3 concentrations + 4 DMSO
wells, 2 days every 4 h, 256 px: 266 images a plate) with 2 x scale replicate plates, so
the images grow with the scale (532 at 1x, 34,048 at 64x) and every plate is one
partition, as in a real screen. The stages run as the demo runs them (in-process Dagster
runs, one per plate where the asset is per plate): ingest, SQL models, the ConvAE
embedding (``--encoder``), the classical features, growth curves and GR (from the
classical blob count), the temporal clustering and the screen report. For each stage it
prints the wall time, the time per image and the peak resident memory during the stage
(sampled every 20 ms), then whether the time per image stayed flat from the smallest to
the largest scale (linear) or grew (superlinear: worth fixing). Simulating the screen is
timed but is not a pipeline stage.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from phenodag.defs.report import REPORT_JOB
from phenodag.defs.sql import SQL_MODELS_JOB
from phenodag.defs.temporal import GROWTH_JOB, TEMPORAL_JOB

STAGES = ("simulate", "ingest", "sql", "embed", "classical", "growth", "temporal", "report")
SCREEN = ["--sites", "1", "--morphological", "0"]
"""The demo's screen at one field per well and without morphology-only compounds: 266 images a plate."""
LINEAR_TOLERANCE = 1.5
"""Per-image time at the largest scale over the smallest one above which a stage is called superlinear."""


class PeakRSS:
    """Highest resident set size (MB) of this process while the ``with`` block runs, sampled every 20 ms."""

    def __enter__(self) -> "PeakRSS":
        self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    @staticmethod
    def _rss() -> float:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * 4096 / 2**20


def child(scale: int, encoder: str, home: Path) -> dict[str, object]:
    """Run every stage at one scale in this process; return seconds and peak MB per stage, and the image count."""
    from phenodag.cli import build_parser
    from phenodag.core.simulate import simulate_screen
    from phenodag.defs.shared.settings import DagsterSettings
    from phenodag.demo import ScreenOptions, screen_design
    from phenodag.runner import open_runner

    args = build_parser().parse_args(["demo", "--plates", str(2 * scale), *SCREEN, "--home", str(home)])
    settings = DagsterSettings.from_env(home).ensure()
    design = screen_design(ScreenOptions.from_args(args))
    out: dict[str, dict[str, float]] = {}

    def timed(stage: str, work: object) -> None:
        with PeakRSS() as rss:
            start = time.perf_counter()
            ok = work()  # type: ignore[operator]
            seconds = time.perf_counter() - start
        if ok is False:
            raise RuntimeError(f"stage {stage} failed at scale {scale}")
        out[stage] = {"s": seconds, "peak_mb": rss.peak}

    folders: list[Path] = []
    timed("simulate", lambda: folders.extend(simulate_screen(design, settings.inbox, seed=0, workers=2)))
    with open_runner(settings) as runner:
        timed("ingest", lambda: all(runner.ingest(f).success for f in folders))
        timed("sql", lambda: runner.run(SQL_MODELS_JOB).success)
        plates = [f.name for f in folders]
        timed("embed", lambda: runner.embed(encoder, plates))
        timed("classical", lambda: runner.embed("classical", plates))
        timed("growth", lambda: runner.run(GROWTH_JOB).success)
        timed("temporal", lambda: runner.run(TEMPORAL_JOB, encoder).success)
        timed("report", lambda: runner.run(REPORT_JOB).success)
    return {"images": design.n_images, "plates": len(folders), "stages": out}


def main() -> None:
    """Run each scale in its own process and print the table and the verdicts."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--encoder", default="convae-random", help="an encoder that needs no weights file")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.encoder, Path(args.home))))
        return
    results = {}
    for scale in args.scales:
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, __file__, "--child", str(scale), "--encoder", args.encoder, "--home", tmp]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            results[scale] = json.loads(done.stdout.splitlines()[-1])
    print("| scale | plates | images | stage | s | ms per image | peak RSS MB |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for scale, r in results.items():
        for stage in STAGES:
            st = r["stages"][stage]
            per = 1000 * st["s"] / r["images"]
            print(
                f"| {scale}x | {r['plates']} | {r['images']} | {stage} | {st['s']:.1f} | {per:.1f} "
                f"| {st['peak_mb']:.0f} |"
            )
    small, large = min(results), max(results)
    for stage in STAGES:
        per = {s: results[s]["stages"][stage]["s"] / results[s]["images"] for s in (small, large)}
        ratio = per[large] / per[small]
        verdict = "linear" if ratio <= LINEAR_TOLERANCE else "SUPERLINEAR"
        print(f"{stage:>9}: per-image time {large}x / {small}x = {ratio:.2f} -> {verdict}")


if __name__ == "__main__":
    main()
