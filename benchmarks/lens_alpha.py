"""The lens over the whole α grid on a simulated screen: held-out accuracy and maps against the planted masks.

Usage:
  python benchmarks/lens_alpha.py --phenoml ../shared/reference/pheno-ml/convae_trained_model.torch
      [--home DIR] [--steps 100] [--batch-size 8] [--alphas -60 -20 -1 0 1 20 60]
      [--plates 2] [--sites 2] [--compounds 5] [--seed 0]

Simulates a time-lapse screen (with truth masks), ingests it, fits the drug classifier on
the frozen encoder of the published pheno-ml ConvAE (``--phenoml``; without it, the ConvAE
is first trained here for ``--train-steps``), then trains one lens per α from the same
state and prints one row per α: held-out top-1 / top-3 with and without the lens, the
map AUROC against the signature mask, the share of map mass on cells, the last losses,
and the wall time of each stage. Not a test: tens of minutes on 2 cores.
"""

import argparse
import logging
import time

import polars as pl

from phenodag.core.lens.config import LENS_ALPHAS, alpha_key
from phenodag.core.shared import lake
from phenodag.core.simulate import simulate_screen, timelapse_design
from phenodag.defs.embed import TRAIN_CONVAE_JOB
from phenodag.defs.lens import LENS_CLASSIFIER_JOB, LENS_JOB
from phenodag.defs.shared.resources import EncodersResource
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.runner import open_runner

SHOWN = [
    "alpha",
    "top1_original",
    "top1_lensed",
    "top3_original",
    "top3_lensed",
    "f1_lensed",
    "map_signature_auroc",
    "map_mass_in_cells",
    "rec_loss",
    "disc_loss",
]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--home", default="/tmp/phenodag-lens-bench")
    p.add_argument("--phenoml", help="published pheno-ml weights (the lens starts from them)")
    p.add_argument("--train-steps", type=int, default=900, help="ConvAE steps when no --phenoml is given")
    p.add_argument("--steps", type=int, default=100, help="lens optimiser steps per alpha")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--alphas", type=float, nargs="+", default=list(LENS_ALPHAS))
    p.add_argument("--plates", type=int, default=2)
    p.add_argument("--sites", type=int, default=2)
    p.add_argument("--compounds", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = DagsterSettings.from_env(args.home).ensure()
    start = time.perf_counter()
    design = timelapse_design(
        name="LENS",
        n_compounds=args.compounds,
        days=2.0,
        every_h=4.0,
        seed=args.seed,
        replicates=args.plates,
        sites=args.sites,
        signatures=True,  # active compounds also change their cells in a planted way, which the masks mark
    )
    folders = simulate_screen(design, settings.inbox, seed=args.seed, workers=2)
    resources = {"encoders": EncodersResource(convae_model=args.phenoml)} if args.phenoml else None
    lens = {"config": {"steps": args.steps, "batch_size": args.batch_size, "seed": args.seed}}
    times = {}
    with open_runner(settings, resources) as runner:
        for folder in folders:
            assert runner.ingest(folder).success
        times["simulate + ingest"] = time.perf_counter() - start
        if not args.phenoml:
            t = time.perf_counter()
            train = {"steps": args.train_steps, "max_images": 320, "seed": args.seed, "judge": "val_mse"}
            assert runner.run(TRAIN_CONVAE_JOB, config={"ops": {"convae_model": {"config": train}}}).success
            times["train ConvAE"] = time.perf_counter() - t
        t = time.perf_counter()
        assert runner.run(LENS_CLASSIFIER_JOB, config={"ops": {"lens_classifier": lens}}).success
        times["classifier"] = time.perf_counter() - t
        t = time.perf_counter()
        for alpha in args.alphas:
            assert runner.run(LENS_JOB, alpha_key(alpha), {"ops": {"lens": lens}}).success
        times[f"{len(args.alphas)} lenses"] = time.perf_counter() - t
    metrics = lake.read_table(settings.lake, "lens_metrics").sort("alpha")
    n = metrics.select("n_classes", "n_train_images", "n_held_out_images").row(0)
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200, tbl_hide_dataframe_shape=True):
        print(
            f"classes {n[0]}, training images {n[1]}, held-out images {n[2]}, {args.steps} steps of {args.batch_size}"
        )
        print(metrics.select(SHOWN).with_columns(pl.col(pl.Float64).round(3)))
        corrections = lake.read_table(settings.lake, "lens_corrections")
        print(corrections.group_by("alpha", "case").len().sort("alpha", "case"))
    stages = ", ".join(f"{k} {v:.0f} s" for k, v in times.items())
    print(f"wall time: {stages}, total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
