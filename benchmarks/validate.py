"""Validate every stage against the planted truth on simulated screens of the seeds given: one table over seeds.

Usage:
  python benchmarks/validate.py --seeds 20 21 22 [--root DIR] [demo options...]

For each seed, runs the demo's graph in process (``phenodag demo --seed S --home
<root>/seed<S>`` with the demo options given, e.g. ``--train-steps 2000``; a seed whose
home already holds a ``truth.md`` is reused), reads its truth block
(:mod:`phenodag.core.simulate.validation`) and prints one markdown table: stage, metric,
mean ± sd over the seeds, the chance level and the goal. Give seeds that no threshold was
tuned on: the growth thresholds were derived on 10-12 (``growth_thresholds.py``) and the
demo shows seed 0. A few minutes per seed (the demo's time).
"""

import argparse
import logging
import time

import polars as pl

from phenodag.cli import build_parser
from phenodag.core.shared import cpu
from phenodag.core.simulate.validation import truth_markdown
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.demo import demo_truth


def run_seed(seed: int, root: str, demo_args: list[str]) -> DagsterSettings:
    """Run the demo on ``seed`` in its own home (unless that home already has its truth block)."""
    home = f"{root}/seed{seed}"
    args = build_parser().parse_args(["demo", "--seed", str(seed), "--home", home, *demo_args])
    settings = DagsterSettings.from_env(home)
    if not (settings.home / "truth.md").exists():
        start = time.perf_counter()
        if args.func(args) != 0:
            raise SystemExit(f"the demo failed on seed {seed} (home {home})")
        print(f"seed {seed}: demo in {time.perf_counter() - start:.0f} s")
    return settings


def summarise(blocks: list[pl.DataFrame]) -> pl.DataFrame:
    """Mean ± sd of each (stage, metric) over the seeds' truth blocks, with the chance level and the goal."""
    rows = pl.concat([b.with_columns(seed=pl.lit(i)) for i, b in enumerate(blocks)])
    order = rows.select("stage", "metric").unique(maintain_order=True).with_row_index("order")
    return (
        rows.group_by("stage", "metric")
        .agg(
            pl.col("value").mean().alias("mean"),
            pl.col("value").std().alias("sd"),
            pl.col("value").count().alias("seeds"),
            pl.col("chance").mean(),
            pl.col("goal").first(),
        )
        .join(order, on=["stage", "metric"])
        .sort("order")
        .select(
            "stage",
            "metric",
            pl.format("{} ± {}", pl.col("mean").round(3), pl.col("sd").round(3).fill_null(0.0)).alias("mean ± sd"),
            "seeds",
            pl.col("chance").round(3),
            "goal",
        )
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", required=True)
    p.add_argument("--root", default="/tmp/phenodag-validate")
    args, demo_args = p.parse_known_args()
    logging.basicConfig(level=logging.WARNING)
    start = time.perf_counter()
    homes = [run_seed(seed, args.root, demo_args) for seed in args.seeds]
    table = summarise([demo_truth(settings) for settings in homes])
    print(f"seeds {args.seeds}; demo options {demo_args or 'the defaults'}; {cpu.describe()}; ")
    print(f"{time.perf_counter() - start:.0f} s in all\n")
    print(truth_markdown(table))


if __name__ == "__main__":
    main()
