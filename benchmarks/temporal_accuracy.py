"""Temporal accuracy against planted truth: ARI and confusion matrix of response types.

Usage:
  python benchmarks/temporal_accuracy.py [--home DIR] [--compounds 10] [--plates 2] [--sites 2]
      [--days 5] [--every-h 4] [--epochs 10] [--train-images 600] [--phenoml FILE]

Runs the platform end to end on a simulated time-lapse screen: simulate → ingest →
train the ConvAE (``convae_model``) → embed → ``temporal_trajectories`` →
``temporal_clustering``. It then compares each condition's ``response_type`` with
``sim_truth.response_type``. With ``--phenoml`` the published pheno-ml weights are
evaluated on the same screen as a second encoder, to tell encoder limits from clustering
limits. Not a test: it takes minutes to hours depending on the options.
"""

import argparse
import time

from sklearn.metrics import adjusted_rand_score, confusion_matrix

from phenodag.core.shared import lake
from phenodag.core.shared.vocab import RESPONSE_TYPES
from phenodag.core.simulate import simulate_screen, timelapse_design
from phenodag.core.temporal.evaluate import planted_vs_assigned
from phenodag.defs.embed import TRAIN_CONVAE_JOB
from phenodag.defs.shared.resources import EncodersResource
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.defs.temporal import TEMPORAL_JOB
from phenodag.runner import open_runner


def score(settings: DagsterSettings, encoder: str) -> None:
    clusters = lake.read_table(settings.lake, "temporal_clusters", filters={"encoder": encoder})
    j = planted_vs_assigned(clusters, lake.read_table(settings.lake, "sim_truth")).drop_nulls("planted")
    ari = adjusted_rand_score(j["planted"], j["response_type"])
    print(f"\nencoder {encoder}: {j.height} conditions, ARI = {ari:.3f}")
    print("confusion matrix (rows planted, columns assigned):", RESPONSE_TYPES)
    matrix = confusion_matrix(j["planted"], j["response_type"], labels=list(RESPONSE_TYPES))
    for name, row in zip(RESPONSE_TYPES, matrix, strict=True):
        print(f"  {name:>10}: {row.tolist()}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--home", default="/tmp/phenodag-temporal-bench")
    p.add_argument("--compounds", type=int, default=10)
    p.add_argument("--plates", type=int, default=2)
    p.add_argument("--sites", type=int, default=2)
    p.add_argument("--days", type=float, default=5)
    p.add_argument("--every-h", type=float, default=4)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--train-images", type=int, default=600)
    p.add_argument("--crop-size", type=int, default=128)
    p.add_argument("--phenoml", help="published pheno-ml weights file, evaluated as a second encoder")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    start = time.perf_counter()
    settings = DagsterSettings.from_env(args.home).ensure()
    design = timelapse_design(
        n_compounds=args.compounds,
        days=args.days,
        every_h=args.every_h,
        sites=args.sites,
        replicates=args.plates,
        seed=args.seed,
    )
    folders = simulate_screen(design, settings.inbox, seed=args.seed, workers=2)
    resources = {"encoders": EncodersResource(phenoml_weights=args.phenoml)} if args.phenoml else None
    encoders = ["convae", *(["convae-phenoml"] if args.phenoml else [])]
    with open_runner(settings, resources) as runner:
        for f in folders:
            runner.ingest(f)
        print(f"simulated and ingested {design.n_images} images in {time.perf_counter() - start:.0f} s")
        cfg = {
            "ops": {
                "convae_model": {
                    "config": {
                        "epochs": args.epochs,
                        "max_images": args.train_images,
                        "crop_size": args.crop_size,
                        "seed": args.seed,
                    }
                }
            }
        }
        t = time.perf_counter()
        runner.run(TRAIN_CONVAE_JOB, config=cfg)
        print(f"trained the ConvAE in {time.perf_counter() - t:.0f} s")
        for enc in encoders:
            runner.embed(enc, [f.name for f in folders])
            runner.run(TEMPORAL_JOB, enc)
    for enc in encoders:
        score(settings, enc)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
