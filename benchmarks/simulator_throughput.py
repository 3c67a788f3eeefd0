"""Simulator throughput: images/s writing a time-lapse screen, 1 vs 2 worker processes.

Usage: python benchmarks/simulator_throughput.py [--images 10000] [--size 256]

Writes the screen to a temporary folder (deleted afterwards) and prints images/s for
each worker count, their ratio, and the wall time of the whole screen.
"""

import argparse
import tempfile
import time
from pathlib import Path

from phenodag.core.simulate import simulate_screen, timelapse_design


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=10_000, help="approximate screen size for the 2-worker run")
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    # 5 compounds x 3 doses + 4 DMSO = 19 wells, 2 sites, every 2 h from -4 h to 120 h = 63 time points
    base = timelapse_design(n_compounds=5, days=5, every_h=2, sites=2, image_size=args.size, replicates=1)
    per_plate = base.n_images
    plates = max(1, round(args.images / per_plate))
    results = {}
    for workers, design in [(1, base), (2, base.with_(replicates=plates))]:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            simulate_screen(design, Path(tmp), seed=0, workers=workers)
            wall = time.perf_counter() - start
        results[workers] = design.n_images / wall
        print(
            f"workers={workers}: {design.n_images} images of {args.size}x{args.size} in {wall:.1f} s "
            f"= {results[workers]:.1f} images/s"
        )
    print(f"ratio 2 workers / 1 worker: {results[2] / results[1]:.2f}")
    print(f"projected wall time for 10,000 images with 2 workers: {10_000 / results[2] / 60:.1f} min")


if __name__ == "__main__":
    main()
