"""Training throughput against the roof: each trainer's steps/s beside a bare loop of its network, in one run.

Usage: python benchmarks/train_throughput.py [--device cpu|cuda] [--convae-steps 300] [--lens-steps 20]
       [--group-epochs 60] [--only convae lens groups]

For each trainer, the same process measures

(t) the trainer as a stage runs it, on images simulated in memory (the demo's look):
    - ``convae``: ``train_convae`` at the demo's recipe (320 images, batches of 20 views of
      32 px, multi-crops cut and augmented per step, the held-out evaluation after every
      epoch, the epoch checkpoint, per-epoch MLflow metrics and previews into a throw-away
      SQLite store);
    - ``lens``: decoding-free preprocessing of the training images to 128 px (the stage decodes
      files first), then ``train_lens`` at the demo's budget (batches of 8, α = −20, the
      frozen encoder and a drug classifier in the graph);
    - ``groups``: ``train_group_model`` of the product method on frozen vectors (the demo's
      group CV: 456-dimensional pooled ConvAE vectors, groups of 6, 4 groups a batch);
(b) a bare loop of the same network, loss and optimiser at the same batch and resolution
    on tensors prepared beforehand (for the ConvAE: views cut once and cycled), after two
    warm-up steps.

It prints steps/s of both and their ratio (goal ≥ 0.8: what the data path, evaluation and
logging cost on top of the arithmetic), with the CPU's features or the card's name. The
precision follows the trainers' rule (bf16 autocast only where native). ``--device cuda``
runs both on the GPU (views are still cut on the CPU, as in the stage).
"""

import argparse
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from phenodag.core.embed.config import TrainConfig
from phenodag.core.embed.convae import INPUT_SIZE, ConvAE, kaiming_init
from phenodag.core.embed.crops import CropStrategy, make_views
from phenodag.core.embed.trainer import describe_device, train_convae, use_bf16
from phenodag.core.groups.config import GroupCVConfig
from phenodag.core.groups.train import new_model, train_group_model
from phenodag.core.lens.classifier import DrugClassifier, freeze
from phenodag.core.lens.config import LensConfig
from phenodag.core.lens.lens import lens_loss, new_lens, train_lens
from phenodag.core.shared.images import contrast_stretch, to_unit_float
from phenodag.core.simulate import timelapse_design
from phenodag.core.simulate.screen import plan_screen, simulate_field

logger = logging.getLogger("train_throughput")
GOAL = 0.8


def frames(n: int, seed: int = 0) -> tuple[list[np.ndarray], list[str]]:
    """``n`` simulated 256 px frames (contrast-stretched to [0, 1], as ConvAE training sees them) and their wells."""
    design = timelapse_design(n_compounds=5, seed=seed, replicates=1, sites=1, n_morphological=2)
    plan = plan_screen(design, seed)[0]
    images: list[np.ndarray] = []
    groups: list[str] = []
    for well in plan.wells:
        for frame in simulate_field(design, plan.cell_line, well, 1, seed):
            images.append(contrast_stretch(to_unit_float(frame)))
            groups.append(well.well)
            if len(images) == n:
                return images, groups
    return images, groups


def timed(work: Callable[[], object]) -> float:
    """Wall seconds of ``work()``, the device synchronised before and after."""
    sync()
    start = time.perf_counter()
    work()
    sync()
    return time.perf_counter() - start


def sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def bare_loop(step: Callable[[int], None], steps: int) -> float:
    """Steps/s of ``step(i)`` over ``steps`` steps after two warm-up steps."""
    step(0)
    step(1)
    return steps / timed(lambda: [step(i) for i in range(steps)])


def convae(steps: int, device: str) -> tuple[float, float]:
    """(trainer, bare) steps/s of the ConvAE at the demo's recipe."""
    import mlflow

    from phenodag.core.embed.run import _log_epoch

    images, groups = frames(320)
    config = TrainConfig(steps=steps, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        mlflow.set_tracking_uri(f"sqlite:///{Path(tmp) / 'mlflow.db'}")
        with mlflow.start_run():
            seconds = timed(lambda: train_convae(images, groups, config, on_epoch=_log_epoch, device=device))
    trainer = steps / seconds
    views = CropStrategy.parse("1f+1l+3s", size=config.crop_size)
    per_step = config.batch_size // views.n_views
    rng = np.random.default_rng(0)
    batches = [
        torch.cat([make_views(torch.from_numpy(image)[None], views, rng) for image in images[i : i + per_step]])
        for i in range(0, 64, per_step)
    ]
    batches = [b.to(device) for b in batches]
    torch.manual_seed(0)
    model = kaiming_init(ConvAE()).to(device).train()
    optim = torch.optim.Adam(model.parameters(), lr=config.lr)
    bf16 = use_bf16(config.precision, device)

    def step(i: int) -> None:
        x = batches[i % len(batches)]
        optim.zero_grad(set_to_none=True)
        with torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=bf16):
            rec = model(x)
        F.binary_cross_entropy(rec.float(), x).backward()
        optim.step()

    return trainer, bare_loop(step, steps)


def lens(steps: int, device: str) -> tuple[float, float]:
    """(trainer, bare) steps/s of one lens at the demo's budget."""
    from phenodag.core.lens.run import PREPROCESS

    raw, _ = frames(96, seed=1)
    config = LensConfig(steps=steps, seed=0)
    n_classes = 8
    labels = torch.arange(len(raw)) % n_classes
    torch.manual_seed(0)
    convae = freeze(kaiming_init(ConvAE()))
    dim = 4 * (INPUT_SIZE // 4) ** 2
    classifier = freeze(DrugClassifier(dim, n_classes, config.hidden))
    quantised = [(image * 255).astype(np.uint8) for image in raw]  # what a decoder hands the preprocessing

    def stage() -> None:
        images = PREPROCESS.tensor(quantised)
        train_lens(convae, convae.encoder, classifier, images, labels, -20.0, config, device=device)

    trainer = steps / timed(stage)
    images = PREPROCESS.tensor(quantised).to(device)
    model = new_lens(convae).to(device)
    encoder, head, y = convae.encoder.to(device), classifier.to(device), labels.to(device)
    optim = torch.optim.Adam(model.parameters(), lr=config.lr)
    bf16 = use_bf16(config.precision, device)

    def step(i: int) -> None:
        idx = torch.arange(i * config.batch_size, (i + 1) * config.batch_size, device=device) % len(images)
        optim.zero_grad(set_to_none=True)
        lens_loss(model, encoder, head, images[idx], y[idx], -20.0, bf16).total.backward()
        optim.step()

    return trainer, bare_loop(step, steps)


def groups(epochs: int, device: str) -> tuple[float, float]:
    """(trainer, bare) steps/s of the product method on frozen vectors, the demo's group CV."""
    gen = torch.Generator().manual_seed(0)
    n_groups, size, dim, n_classes = 64, 6, 456, 7
    y = np.arange(n_groups) % n_classes
    x = torch.randn(n_groups, size, dim, generator=gen) + torch.from_numpy(y).float()[:, None, None] * 0.1
    mask = torch.ones(n_groups, size, dtype=torch.bool)
    config = GroupCVConfig(epochs=epochs, lr=1e-3, batch_groups=4, seed=0)
    steps = epochs * -(-n_groups // config.batch_groups)
    trainer = steps / timed(lambda: train_group_model("product", x, mask, y, n_classes, config, device))
    torch.manual_seed(0)
    model = new_model("product", x, mask, n_classes, config).to(device).train()
    optim = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    xs, ms, ys = x.to(device), mask.to(device), torch.as_tensor(y).to(device)
    batch = config.batch_groups

    def step(i: int) -> None:
        lo = (i * batch) % n_groups
        loss = F.cross_entropy(model(xs[lo : lo + batch], ms[lo : lo + batch]), ys[lo : lo + batch])
        optim.zero_grad()
        loss.backward()
        optim.step()

    return trainer, bare_loop(step, steps)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    p.add_argument("--convae-steps", type=int, default=300)
    p.add_argument("--lens-steps", type=int, default=20)
    p.add_argument("--group-epochs", type=int, default=60)
    p.add_argument("--only", nargs="+", choices=["convae", "lens", "groups"], default=["convae", "lens", "groups"])
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch sees no CUDA device on this machine")
    where = describe_device(args.device)
    print(f"device {args.device} ({where}), torch {torch.__version__}, {torch.get_num_threads()} intra-op threads")
    runs = {
        "convae": lambda: convae(args.convae_steps, args.device),
        "lens": lambda: lens(args.lens_steps, args.device),
        "groups": lambda: groups(args.group_epochs, args.device),
    }
    print("| trainer | trainer steps/s | bare loop steps/s | ratio | goal |")
    print("| --- | --- | --- | --- | --- |")
    for name in args.only:
        trainer, bare = runs[name]()
        ratio = trainer / bare
        verdict = "met" if ratio >= GOAL else "missed"
        print(f"| {name} | {trainer:.2f} | {bare:.2f} | {ratio:.2f} | >= {GOAL} ({verdict}) |", flush=True)


if __name__ == "__main__":
    main()
