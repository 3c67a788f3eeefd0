"""Embedding throughput: bare encoder forward (a) vs the end-to-end asset path (b), per encoder.

Usage: python benchmarks/embed_throughput.py [--images 512] [--encoders convae resnet18 resnet50 vit_b_16]

Both measurements use the same simulated 256x256 8-bit TIFFs:
(a) encoder forward on tensors preprocessed beforehand (batches of 64);
(b) ``embed_rows`` (decode → resize → encode, decoding one batch ahead in threads) plus
    the Delta partition write, as the ``embeddings`` asset runs it.
Each encoder runs in its own process, so its peak RSS is its own. Networks are
randomly initialised (their speed does not depend on the weights).
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from phenodag.core.shared.vocab import ENCODER_NAMES


def child(encoder_name: str, folder: Path) -> dict[str, float]:
    import torch

    from phenodag.core.embed.pipeline import embed_rows
    from phenodag.core.embed.registry import load_encoder
    from phenodag.core.shared import lake
    from phenodag.core.shared.images import decode_image

    paths = sorted(str(p) for p in folder.glob("*.tif"))
    rows = pl.DataFrame(
        {
            "plate_id": "B",
            "well": "B02",
            "site": 1,
            "time_h": np.arange(len(paths), dtype=float),
            "sha256": [f"h{i}" for i in range(len(paths))],
            "path": paths,
        }
    )
    enc = load_encoder(encoder_name, "random")
    batch = 64
    tensors = [
        enc.preprocess.tensor([decode_image(p) for p in paths[i : i + batch]]) for i in range(0, len(paths), batch)
    ]
    enc.forward(tensors[0][:4])  # warm-up
    start = time.perf_counter()
    for t in tensors:
        enc.forward(t)
    bare = len(paths) / (time.perf_counter() - start)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        df = embed_rows(rows, enc, batch_size=batch, threads=2)
        lake.write_partition(tmp, "embeddings", df, {"encoder": encoder_name, "plate_id": "B"})
        path = len(paths) / (time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"bare": bare, "path": path, "peak_mb": peak_mb, "threads": torch.get_num_threads()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--encoders", nargs="+", default=[n for n in ENCODER_NAMES if n != "convae-phenoml"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, Path(args.folder))))
        return
    from phenodag.core.simulate import simulate_screen, timelapse_design

    with tempfile.TemporaryDirectory() as tmp:
        per_well = 14  # time points of a 2-day screen every 4 h from -4 h
        wells = -(-args.images // per_well)
        design = timelapse_design(n_compounds=1, days=2, every_h=4, replicates=1, control_wells=max(1, wells - 3))
        (folder,) = simulate_screen(design, Path(tmp), seed=0, workers=2)
        n = len(list(folder.glob("*.tif")))
        print(f"{n} simulated 256x256 images; 2 cores")
        for name in args.encoders:
            out = subprocess.run(
                [sys.executable, __file__, "--child", name, "--folder", str(folder)],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{name:>9}: (a) bare forward {r['bare']:7.1f} img/s | (b) decode→resize→encode→Delta "
                f"{r['path']:7.1f} img/s | b/a = {r['path'] / r['bare']:.2f} | peak RSS {r['peak_mb']:.0f} MB"
            )


if __name__ == "__main__":
    main()
