"""Does the ConvAE trained here see drug effects better than the same network untrained? Held-out screen.

Usage:
  python benchmarks/convae_learning.py [--home DIR] [--steps 900] [--train-images 320]
      [--phenoml FILE] [--train-seed 0] [--eval-seed 1] [--strategies 1f+1l+3s ...]
      [--compounds 5] [--morphological 0] [--plates 2] [--sites 1]
  python benchmarks/convae_learning.py --strategies grid --steps 300   # the crop-strategy sweep (Fig. 4)

Simulates two time-lapse screens with different seeds: ``TRAIN`` (the ConvAE trains on
its images only) and ``EVAL`` (never seen in training, and never tuned on). Trains
``convae_model`` on TRAIN for ``--steps`` optimiser steps, then embeds only the EVAL
plates with the trained ConvAE, the untrained one (``convae-random``), the classical
features and, with ``--phenoml``, the published pheno-ml weights, runs the comparison on
EVAL and prints the summary table (``fraction_active``, split into growth and
morphology-only conditions, drug-vs-control ROC-AUC and the rest) with the wall time of
each stage. ``--steps 0`` trains nothing (the screens for ``convae_variants.py``);
``--morphological N`` adds N compounds per screen that change morphology and not growth.
Not a test: minutes to half an hour depending on ``--steps``.

Every trained version is judged on the EVAL plates (``judge_plates``), and a table of the
sweep (one row per crop strategy: steps, held-out MSE, the flat baseline, activity mAP
and fraction_active on EVAL, champion) is printed. ``--strategies grid`` runs every
strategy of 2 to 5 views (``strategy_grid()``: 14, a superset of the 12 of the paper's
Fig. 4, whose exact list the paper does not give).
"""

import argparse
import logging
import time

import polars as pl

from phenodag.core.embed.crops import strategy_grid
from phenodag.core.shared import lake
from phenodag.core.shared.mlflow_store import use_store
from phenodag.core.simulate import simulate_screen, timelapse_design
from phenodag.defs.compare import COMPARE_JOB, ENCODER_COMPARISON_JOB
from phenodag.defs.embed import TRAIN_CONVAE_JOB
from phenodag.defs.shared.resources import EncodersResource
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.runner import open_runner

FAST_NULL = {"ops": {"compare_encoder": {"config": {"null_size": 5000}}}}


def print_sweep(settings: DagsterSettings) -> None:
    import mlflow

    use_store(settings.mlflow_tracking_uri, settings.mlflow_artifact_root)
    runs = mlflow.search_runs(experiment_names=["phenodag-convae"], output_format="list")
    rows = [
        {
            "strategy": r.data.params["strategy"],
            "steps": r.data.metrics.get("epoch"),
            "val_mse": r.data.metrics.get("val_mse"),
            "flat_val_mse": r.data.metrics.get("flat_val_mse"),
            "activity_map_eval": r.data.metrics.get("judge_activity_map"),
            "fraction_active_eval": r.data.metrics.get("judge_fraction_active"),
        }
        for r in runs
    ]
    with pl.Config(tbl_rows=-1, tbl_width_chars=160, tbl_hide_dataframe_shape=True):
        print("crop-strategy sweep (judged on EVAL):")
        print(pl.DataFrame(rows).drop("steps").with_columns(pl.col(pl.Float64).round(4)).sort("strategy"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--home", default="/tmp/phenodag-convae-bench")
    p.add_argument("--steps", type=int, default=900)
    p.add_argument("--train-images", type=int, default=320)
    p.add_argument("--strategies", nargs="+", default=["1f+1l+3s"])
    p.add_argument("--phenoml", help="published pheno-ml weights file, compared as a third encoder")
    p.add_argument("--train-seed", type=int, default=0)
    p.add_argument("--eval-seed", type=int, default=1)
    p.add_argument("--compounds", type=int, default=5)
    p.add_argument(
        "--morphological", type=int, default=0, help="compounds that change morphology and not growth, per screen"
    )
    p.add_argument("--plates", type=int, default=2, help="replicate plates per screen")
    p.add_argument("--sites", type=int, default=1, help="fields per well")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = DagsterSettings.from_env(args.home).ensure()
    start = time.perf_counter()
    screens = {}
    for name, seed in (("TRAIN", args.train_seed), ("EVAL", args.eval_seed)):
        design = timelapse_design(
            name=name,
            n_compounds=args.compounds,
            days=2.0,
            every_h=4.0,
            seed=seed,
            n_morphological=args.morphological,
            replicates=args.plates,
            sites=args.sites,
        )
        screens[name] = simulate_screen(design, settings.inbox, seed=seed, workers=2)
    resources = {"encoders": EncodersResource(phenoml_weights=args.phenoml)} if args.phenoml else None
    encoders = [*(["convae"] if args.steps else []), "convae-random", "classical"]
    encoders += ["convae-phenoml"] if args.phenoml else []
    strategies = [s.name for s in strategy_grid()] if args.strategies == ["grid"] else args.strategies
    times = {}
    with open_runner(settings, resources) as runner:
        for folders in screens.values():
            for folder in folders:
                runner.ingest(folder)
        times["simulate + ingest"] = time.perf_counter() - start
        t = time.perf_counter()
        train = {
            "plates": [f.name for f in screens["TRAIN"]],
            "steps": args.steps,
            "max_images": args.train_images,
            "strategies": strategies,
            "seed": args.train_seed,
            "judge": "fraction_active",
            "judge_plates": [f.name for f in screens["EVAL"]],
        }
        if args.steps:  # --steps 0: no training, the untrained and classical encoders only
            assert runner.run(TRAIN_CONVAE_JOB, config={"ops": {"convae_model": {"config": train}}}).success
        times["train"] = time.perf_counter() - t
        t = time.perf_counter()
        for encoder in encoders:
            assert runner.embed(encoder, [f.name for f in screens["EVAL"]])
        times["embed EVAL"] = time.perf_counter() - t
        t = time.perf_counter()
        for encoder in encoders:
            assert runner.run(COMPARE_JOB, encoder, FAST_NULL).success
        assert runner.run(ENCODER_COMPARISON_JOB).success
        times["compare"] = time.perf_counter() - t
    if args.steps:
        print_sweep(settings)
    runs = lake.read_table(settings.lake, "encoder_comparison").drop("preprocess")
    with pl.Config(tbl_rows=-1, tbl_width_chars=160, fmt_str_lengths=40, tbl_hide_dataframe_shape=True):
        print(runs.with_columns(pl.col(pl.Float64).round(3)).transpose(include_header=True, column_names="encoder"))
    stages = ", ".join(f"{k} {v:.0f} s" for k, v in times.items())
    print(f"wall time: {stages}, total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
