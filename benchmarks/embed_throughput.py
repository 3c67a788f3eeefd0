"""Embedding throughput on instrument-size images, side by side with pheno-ml's own path.

Usage: python benchmarks/embed_throughput.py [--images 192] [--encoders convae-phenoml resnet18]
       [--formats jpeg tiff] [--phenoml ../shared/reference/pheno-ml/convae_trained_model.torch]
       [--device cpu|cuda]

``--device cuda`` runs (r) and (b) on the GPU (pheno-ml's path (p) stays as its code runs it, on
the CPU) and names the card instead of the CPU's features.

Images: simulated phase-contrast frames enlarged to 1408x1040 (an Incucyte export) with
sensor noise, written as RGB JPEG (quality 90, grey in three channels, as Incucyte exports)
and as 16-bit grey TIFF (CV8000-like). In one process per encoder and format, on the same
files, it measures:

(p) pheno-ml's extraction path as its code does it (``convae/feature_extractor.py``):
    one image at a time, decode to grey, ``/ 255.`` (``/ 65535.`` for 16-bit), torchvision
    ``Resize`` without antialias, encoder forward with autograd on, ``.detach().numpy()``.
    pheno-ml's ``Resize(128)`` resizes the shorter side; its images were 256x256 squares,
    so this resizes to (128, 128), the only input at which the published ConvAE gives its
    4,096 features. JPEGs are decoded to grey by Pillow (``convert("L")``: the luma of
    the decoded RGB). For resnet18 the same unbatched path uses the encoder's own
    preprocessing (224 px, antialias, ImageNet normalisation).
(r) the bare fp32 forward on preloaded, preprocessed tensors, batches of 64.
(b) phenodag end to end as the ``embeddings`` asset runs it: ``embed_rows`` (decode,
    preprocess, encode, the next batch prepared in threads) and the Delta partition write.

It prints b/p, b/r, and the cosine between phenodag's vectors and the reference path's
(mean and minimum over images). Weights: the published pheno-ml ConvAE where
``--phenoml`` names it (the cosine is then the one users meet), random otherwise (the
speed does not depend on the weights).
"""

import argparse
import copy
import dataclasses
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from phenodag.core.shared import torch_compat  # noqa: F401  (before anything imports torchvision)

WIDTH, HEIGHT = 1408, 1040
PHENOML = Path(__file__).resolve().parents[1].parent / "shared/reference/pheno-ml/convae_trained_model.torch"


def make_images(folder: Path, n: int, seed: int = 0) -> dict[str, list[Path]]:
    """Write ``n`` instrument-size frames as RGB JPEG and as 16-bit TIFF; return the paths by format."""
    import tifffile
    from PIL import Image

    from phenodag.core.shared.images import decode_image
    from phenodag.core.simulate import simulate_screen, timelapse_design

    design = timelapse_design(n_compounds=2, days=2, every_h=4, replicates=1, image_size=256)
    (plate,) = simulate_screen(design, folder / "sim", seed=seed, workers=2)
    frames = sorted(plate.glob("*.tif"))
    rng = np.random.default_rng(seed)
    out: dict[str, list[Path]] = {"jpeg": [], "tiff": []}
    for i in range(n):
        grey = Image.fromarray(decode_image(frames[i % len(frames)])).resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC)
        base = np.asarray(grey, np.float32) + rng.normal(0, 2.0, (HEIGHT, WIDTH)).astype(np.float32)
        eight = np.clip(np.rint(base), 0, 255).astype(np.uint8)
        jpeg = folder / f"img{i:04d}.jpg"
        Image.fromarray(np.repeat(eight[..., None], 3, axis=2)).save(jpeg, quality=90)
        tiff = folder / f"img{i:04d}.tif"
        tifffile.imwrite(tiff, np.clip(np.rint(base * 257.0), 0, 65535).astype(np.uint16))
        out["jpeg"].append(jpeg)
        out["tiff"].append(tiff)
    return out


def reference_vectors(encoder_name: str, model: object, paths: list[Path]) -> tuple[np.ndarray, float]:
    """Run path (p) over ``paths``; return the vectors and images per second."""
    import torch
    from PIL import Image
    from torchvision.transforms import Resize

    from phenodag.core.shared.images import decode_image

    convae = encoder_name.startswith("convae")
    resize = Resize(size=(128, 128), antialias=False)
    start = time.perf_counter()
    rows = []
    for p in paths:
        if p.suffix == ".jpg":
            x = torch.from_numpy(np.asarray(Image.open(p).convert("L")))[None] / 255.0
        else:
            x = torch.from_numpy(decode_image(p).astype(np.int32))[None] / 65535.0
        if convae:
            features = model.encoder(torch.unsqueeze(resize(x.float()), 0))  # type: ignore[attr-defined]
        else:
            features = model(torch.unsqueeze(x.float(), 0))  # type: ignore[operator]
        rows.append(features.reshape(-1).detach().numpy())
    return np.stack(rows), len(paths) / (time.perf_counter() - start)


def _cosines(df: pl.DataFrame, reference: np.ndarray) -> np.ndarray:
    """Cosine of each image's vector in ``df`` (ordered by time_h, as written) with the reference path's."""
    ours = np.stack(df.sort("time_h")["vector"].to_numpy())
    return (ours * reference).sum(1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(reference, axis=1))


def child(
    encoder_name: str, fmt: str, folder: Path, phenoml: str | None, rounds: int, device: str = "cpu"
) -> dict[str, float | str]:
    """Measure (p), (r) and (b) for one encoder and format in this process ((r) and (b) on ``device``)."""
    import polars as pl
    import torch

    from phenodag.core.embed.pipeline import embed_rows
    from phenodag.core.embed.registry import load_encoder
    from phenodag.core.embed.trainer import describe_device
    from phenodag.core.shared import lake
    from phenodag.core.shared.images import decode_image

    suffix = "*.jpg" if fmt == "jpeg" else "*.tif"
    paths = sorted(folder.glob(suffix))
    weights = phenoml if encoder_name == "convae-phenoml" and phenoml else "random"
    # pheno-ml's path gives the flattened latent: compare it with the same readout (the default is pooled)
    readout = "latent" if encoder_name.startswith("convae") else None
    enc = load_encoder(encoder_name, weights, device=device, readout=readout)
    if encoder_name.startswith("convae"):
        from phenodag.core.embed.convae import ConvAE

        model: object = ConvAE()  # as pheno-ml builds it: NCHW, eager, the same weights
        model.encoder = copy.deepcopy(enc.model.encoder).to(memory_format=torch.contiguous_format)  # type: ignore[attr-defined]
    else:
        net = enc.model

        def model(x: torch.Tensor) -> torch.Tensor:
            return net(enc.preprocess.tensor([x[0, 0].numpy()]))

    draft = dataclasses.replace(enc, preprocess=dataclasses.replace(enc.preprocess, jpeg_draft=True))
    start = time.perf_counter()
    enc.forward(enc.preprocess.tensor([decode_image(paths[0])]))  # builds its inference form once
    build_s = time.perf_counter() - start
    batch = 64
    tensors = [
        enc.preprocess.tensor([decode_image(p) for p in paths[i : i + batch]]) for i in range(0, len(paths), batch)
    ]
    plain = copy.deepcopy(enc.model).to(device).to(memory_format=torch.contiguous_format)
    rows = pl.DataFrame(
        {
            "plate_id": "B",
            "well": "B02",
            "site": 1,
            "time_h": np.arange(len(paths), dtype=float),
            "sha256": [f"h{i}" for i in range(len(paths))],
            "path": [str(p) for p in paths],
        }
    )

    def bare(forward: Callable[[torch.Tensor], object]) -> float:
        forward(tensors[0])  # warm-up at this batch size
        sync()
        start = time.perf_counter()
        for t in tensors:
            forward(t)
        sync()
        return len(paths) / (time.perf_counter() - start)

    def sync() -> None:
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    def plain_forward(t: torch.Tensor) -> object:
        with torch.inference_mode():
            return plain(t.to(device))

    def end_to_end() -> tuple[float, pl.DataFrame]:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            df = embed_rows(rows, enc, batch_size=batch)
            lake.write_partition(tmp, "embeddings", df, {"encoder": encoder_name, "plate_id": "B"})
            return len(paths) / (time.perf_counter() - start), df

    rates: dict[str, list[float]] = {"p": [], "r": [], "r_nchw": [], "b": []}
    for _ in range(rounds):  # interleaved, so a slow spell of a shared machine hits every path alike
        reference, p_rate = reference_vectors(encoder_name, model, paths)
        rates["p"].append(p_rate)
        rates["r"].append(bare(enc.forward))
        rates["r_nchw"].append(bare(plain_forward))
        b_rate, df = end_to_end()
        rates["b"].append(b_rate)
        if fmt == "jpeg" and enc.preprocess.field == "whole":
            start = time.perf_counter()
            drafted = embed_rows(rows, draft, batch_size=batch)
            rates.setdefault("b_draft", []).append(len(paths) / (time.perf_counter() - start))
    cos = _cosines(df, reference)
    draft_cos = _cosines(drafted, reference) if "b_draft" in rates else np.zeros(1)
    return {
        **{k: float(np.median(v)) for k, v in rates.items()},
        "build_s": build_s,
        "cos_mean": float(cos.mean()),
        "cos_min": float(cos.min()),
        "draft_cos_mean": float(draft_cos.mean()),
        "draft_cos_min": float(draft_cos.min()),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cpu": describe_device(device),
        "torch_threads": torch.get_num_threads(),
        "weights": "published" if weights != "random" else "random",
    }


def main() -> None:
    """Write the images once, then measure each encoder and format in its own process."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=192)
    parser.add_argument("--encoders", nargs="+", default=["convae-phenoml", "resnet18"])
    parser.add_argument("--formats", nargs="+", default=["jpeg", "tiff"], choices=["jpeg", "tiff"])
    parser.add_argument("--phenoml", default=str(PHENOML) if PHENOML.exists() else None)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of p, r, b; medians reported")
    parser.add_argument("--device", default="cpu", help="torch device of (r) and (b): cpu or cuda[:N]")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--format", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.format, Path(args.folder), args.phenoml, args.rounds, args.device)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_images(folder, args.images)
        rows: list[tuple[str, str, dict]] = []
        for name in args.encoders:
            for fmt in args.formats:
                cmd = [sys.executable, __file__, "--child", name, "--format", fmt, "--folder", str(folder)]
                cmd += ["--rounds", str(args.rounds), "--device", args.device]
                if args.phenoml:
                    cmd += ["--phenoml", args.phenoml]
                r = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()[-1])
                rows.append((name, fmt, r))
        print(
            f"{args.images} images of {WIDTH}x{HEIGHT} per format; {rows[0][2]['cpu']}, "
            f"{rows[0][2]['torch_threads']} torch threads; medians of {args.rounds} interleaved rounds; img/s"
        )
        print(
            "| encoder | format | weights | (p) pheno-ml path | (r) bare forward | (r0) NCHW, calls of 64 | "
            "(b) phenodag | b/p | b/r | b/r0 | cosine b~p mean / min | (b') JPEG draft | cosine b'~p mean / min | "
            "peak RSS MB | build s |"
        )
        print("|" + " --- |" * 16)
        for name, fmt, r in rows:
            draft = f"{r['b_draft']:.1f}" if "b_draft" in r else "-"
            draft_cos = f"{r['draft_cos_mean']:.4f} / {r['draft_cos_min']:.4f}" if "b_draft" in r else "-"
            print(
                f"| {name} | {fmt} | {r['weights']} | {r['p']:.1f} | {r['r']:.1f} | {r['r_nchw']:.1f} | {r['b']:.1f} | "
                f"{r['b'] / r['p']:.2f} | {r['b'] / r['r']:.2f} | {r['b'] / r['r_nchw']:.2f} | "
                f"{r['cos_mean']:.5f} / {r['cos_min']:.5f} | {draft} | {draft_cos} | {r['peak_mb']:.0f} | "
                f"{r['build_s']:.1f} |"
            )


if __name__ == "__main__":
    main()
