"""Validate every stage against the planted truth on simulated screens of the seeds given: one table over seeds.

Usage:
  python benchmarks/validate.py --seeds 20 21 22 [--root DIR] [--tune-min-effect] [demo options...]

For each seed, runs the demo's graph in process (``phenodag demo --seed S --home
<root>/seed<S>`` with the demo options given, e.g. ``--train-steps 2000``; a seed whose
home already holds a ``truth.md`` is reused), reads its truth block
(:mod:`phenodag.core.simulate.validation`) and prints one markdown table: stage, metric,
mean ± sd over the seeds, the chance level and the goal. Give seeds that no threshold was
tuned on: the growth thresholds were derived on 10-12 (``growth_thresholds.py``), the
combined call's effect floor on 13-14 (``--tune-min-effect``), and the demo shows seed 0.

``--tune-min-effect`` (training seeds only) prints, for a grid of the combined call's
``min_effect``, the combined ARI, the morphology-only detection and the false positives
over the seeds' ``response_calls``: how :class:`ResponseCallsConfig`'s default was chosen.
A few minutes per seed (the demo's time).
"""

import argparse
import logging
import time

import numpy as np
import polars as pl
from sklearn.metrics import adjusted_rand_score

from phenodag.cli import build_parser
from phenodag.core.shared import cpu, lake
from phenodag.core.shared.schemas import CONDITION
from phenodag.core.shared.settings import Settings
from phenodag.core.simulate.validation import truth_markdown
from phenodag.core.temporal.combined import combined_calls
from phenodag.core.temporal.evaluate import morphology_detection, with_planted
from phenodag.demo import DEMO_ENCODERS, _truth, run_demo

MIN_EFFECTS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0)


def run_seed(seed: int, root: str, demo_args: list[str]) -> Settings:
    """Run the demo on ``seed`` in its own home (unless that home already has its truth block)."""
    home = f"{root}/seed{seed}"
    args = build_parser().parse_args(["demo", "--seed", str(seed), "--home", home, *demo_args])
    settings = Settings.from_env(home)
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


def tune_min_effect(homes: list[Settings]) -> None:
    """Print the combined call's agreement for each ``min_effect`` over the seeds' response calls."""
    rows = []
    for min_effect in MIN_EFFECTS:
        aris, found, false = [], [], []
        for settings in homes:
            calls = lake.read_table(settings.lake, "response_calls", filters={"encoder": DEMO_ENCODERS[0]})
            truth = lake.read_table(settings.lake, "sim_truth")
            clusters = calls.rename({"embedding_type": "response_type"})
            growth = calls.select(*CONDITION, "growth_type", "min_gr_window")
            again = combined_calls(clusters, growth, min_effect)
            scored = with_planted(again, truth)
            aris.append(adjusted_rand_score(scored["planted_combined"], scored["combined_type"]))
            detection = morphology_detection(again, truth)
            found.append(detection["detected"])
            false.append(detection["false_positive"])
        rows.append(
            {
                "min_effect": min_effect,
                "combined_ari": float(np.mean(aris)),
                "morphology_detected": float(np.mean([f for f in found if f is not None])),
                "false_positive": float(np.mean([f for f in false if f is not None])),
            }
        )
    with pl.Config(tbl_rows=-1):
        print(pl.DataFrame(rows))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", required=True)
    p.add_argument("--root", default="/tmp/phenodag-validate")
    p.add_argument("--tune-min-effect", action="store_true")
    args, demo_args = p.parse_known_args()
    logging.basicConfig(level=logging.WARNING)
    start = time.perf_counter()
    homes = [run_seed(seed, args.root, demo_args) for seed in args.seeds]
    if args.tune_min_effect:
        tune_min_effect(homes)
        return
    table = summarise([_truth(settings) for settings in homes])
    print(f"seeds {args.seeds}; demo options {demo_args or 'the defaults'}; {cpu.describe()}; ")
    print(f"{time.perf_counter() - start:.0f} s in all\n")
    print(truth_markdown(table))


if __name__ == "__main__":
    main()
