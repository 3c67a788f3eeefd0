"""Derive the growth-typing thresholds on training seeds (never on the seeds a result is reported on).

Usage:
  python benchmarks/growth_thresholds.py [--home DIR] [--seeds 10 11 12] [--compounds 10]
      [--plates 2] [--sites 1] [--days 3] [--every-h 4] [--gr-from cell_count|confluence]

Simulates one time-lapse screen per training seed (``TRAIN<seed>`` plates), ingests it,
embeds it with the ``classical`` encoder, and computes growth curves and GR (from the
blob count or the confluence, ``--gr-from``) as ``growth_job`` does, with the planted
types. Then scans the three thresholds of
:class:`~phenodag.core.temporal.config.GrowthTypingConfig` on a grid (death <
arrest < recover) and prints, for the best few settings, the share of conditions typed as
planted (chance: the share of the most common planted type) and the adjusted Rand index,
over all training conditions together; the winner is what ``GrowthTypingConfig``'s
defaults should say. Morphology-only compounds (``--morphological``) must come out
``no_effect`` by growth. Not a test: a few minutes per seed.
"""

import argparse
import itertools
import logging
import time

import numpy as np
import polars as pl
from sklearn.metrics import adjusted_rand_score

from phenodag.core.shared import lake
from phenodag.core.shared.schemas import CONDITION
from phenodag.core.shared.vocab import CLASSICAL_ENCODERS, GR_SOURCES
from phenodag.core.simulate import simulate_screen, timelapse_design
from phenodag.core.temporal.config import GrowthTypingConfig
from phenodag.core.temporal.evaluate import planted_types
from phenodag.core.temporal.growth import gr_over_time, growth_curves
from phenodag.core.temporal.growth_types import growth_types
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.runner import open_runner

ARREST = (0.3, 0.4, 0.5, 0.6, 0.7)
DEATH = (-0.3, -0.2, -0.1, 0.0, 0.1)
RECOVER = (0.5, 0.6, 0.7, 0.8, 0.9)
PERSIST = (1, 2, 3)
SATURATION = (0.8, 0.85, 0.9, 0.95, 1.01)


def simulate(args: argparse.Namespace, settings: DagsterSettings) -> None:
    """Simulate, ingest and embed (classical) every training seed's screen."""
    with open_runner(settings) as runner:
        for seed in args.seeds:
            design = timelapse_design(
                name=f"TRAIN{seed}",
                n_compounds=args.compounds,
                n_morphological=args.morphological,
                days=args.days,
                every_h=args.every_h,
                seed=seed,
                compound_prefix=f"S{seed}CPD",  # names unique across seeds, so conditions never mix
                replicates=args.plates,
                sites=args.sites,
            )
            folders = simulate_screen(design, settings.inbox, seed=seed, workers=2)
            for folder in folders:
                assert runner.ingest(folder).success
            assert runner.embed(CLASSICAL_ENCODERS[0], [f.name for f in folders])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--home", default="/tmp/phenodag-growth-thresholds")
    p.add_argument("--seeds", type=int, nargs="+", default=[10, 11, 12])
    p.add_argument("--compounds", type=int, default=10)
    p.add_argument("--morphological", type=int, default=2)
    p.add_argument("--plates", type=int, default=2)
    p.add_argument("--sites", type=int, default=1)
    p.add_argument("--days", type=float, default=3.0)
    p.add_argument("--every-h", type=float, default=4.0)
    p.add_argument("--gr-from", choices=GR_SOURCES, default=GR_SOURCES[0])
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = DagsterSettings.from_env(args.home).ensure()
    start = time.perf_counter()
    if not lake.table_exists(settings.lake, "embeddings"):
        simulate(args, settings)
    print(f"screens ready in {time.perf_counter() - start:.0f} s")
    embeddings = lake.read_table(settings.lake, "embeddings", filters={"encoder": CLASSICAL_ENCODERS[0]})
    curves = growth_curves(embeddings, lake.read_table(settings.lake, "raw_images"))
    gr = gr_over_time(curves, value=args.gr_from)
    planted = planted_types(lake.read_table(settings.lake, "sim_truth"))
    rows = []
    for arrest, death, recover, persist, saturation in itertools.product(ARREST, DEATH, RECOVER, PERSIST, SATURATION):
        if not death < arrest < recover:
            continue
        config = GrowthTypingConfig(arrest=arrest, death=death, recover=recover, persist=persist, saturation=saturation)
        typed = growth_types(gr, config).join(planted, on=CONDITION)
        right = (typed["growth_type"] == typed["planted"]).to_numpy()
        rows.append(
            {
                "arrest": arrest,
                "death": death,
                "recover": recover,
                "persist": persist,
                "saturation": saturation,
                "share_right": float(right.mean()),
                "ari": adjusted_rand_score(typed["planted"].to_list(), typed["growth_type"].to_list()),
                "morphology_right": float(right[typed["morphology"].to_numpy()].mean())
                if typed["morphology"].any()
                else None,
                "n": typed.height,
            }
        )
    table = pl.DataFrame(rows).sort("share_right", "ari", descending=True)
    chance = float(planted["planted"].value_counts()["count"].max() / planted.height)
    with pl.Config(tbl_rows=12, tbl_width_chars=160):
        print(f"training seeds {args.seeds}: {planted.height} conditions; chance share_right {chance:.3f}")
        print(table.head(12))
    best = table.row(0, named=True)
    config = GrowthTypingConfig(**{k: best[k] for k in ("arrest", "death", "recover", "persist", "saturation")})
    typed = growth_types(gr, config).join(planted, on=CONDITION)
    with pl.Config(tbl_rows=-1):
        print(typed.group_by("planted", "growth_type").len().sort("planted", "growth_type"))
    print(f"best: {config}; total {time.perf_counter() - start:.0f} s; per-seed share right:")
    for seed in args.seeds:
        mine = typed.filter(pl.col("compound").str.starts_with(f"S{seed}CPD"))
        share = float(np.mean(mine["growth_type"].to_numpy() == mine["planted"].to_numpy()))
        print(f"  seed {seed}: {share:.3f} of {mine.height}")


if __name__ == "__main__":
    main()
