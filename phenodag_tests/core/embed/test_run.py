"""One tracked ConvAE training: images from rows, registration, and the champion moved by the judge only."""

from pathlib import Path

import mlflow
import numpy as np

from phenodag.core.embed.config import TrainConfig
from phenodag.core.embed.run import load_training_images, train_and_register
from phenodag.core.ingest.plate import ingest_plate
from phenodag.core.shared.mlflow_store import use_store
from phenodag_tests.toy_plate import write_toy_plate


def test_training_images_are_a_seeded_sample_grouped_by_well(tmp_path: Path) -> None:
    rows = ingest_plate(write_toy_plate(tmp_path, "P1", sites=1, size=64)).images
    assert rows is not None
    images, groups = load_training_images(rows, max_images=6, seed=1)
    again, _ = load_training_images(rows, max_images=6, seed=1)
    assert len(images) == 6 and all(a.dtype == np.float32 and 0 <= a.min() <= a.max() <= 1 for a in images)
    assert all(np.array_equal(a, b) for a, b in zip(images, again, strict=True))
    assert set(groups) <= {f"P1/{w}" for w in ("B02", "B03", "C02", "C03")}


def test_the_champion_moves_on_the_judge_score_only(tmp_path: Path) -> None:
    # (judge score of the version, does it become the champion): the first scored one does; a worse one
    # does not; a better one does; one that could not be scored does not replace the champion
    runs = ((0.5, True), (0.4, False), (0.7, True), (None, False))
    use_store(f"sqlite:///{tmp_path / 'mlflow.db'}", tmp_path / "artifacts")
    experiment = mlflow.create_experiment("training-test", artifact_location=(tmp_path / "artifacts").as_uri())
    rng = np.random.default_rng(0)
    images = [rng.random((40, 40), dtype=np.float32) for _ in range(8)]
    groups = [f"P1/W{i // 2}" for i in range(8)]
    config = TrainConfig(steps=2, batch_size=4, warmup_steps=0, crop_size=16)
    for score, promoted in runs:
        with mlflow.start_run(experiment_id=experiment):
            summary = train_and_register(
                images,
                groups,
                config,
                "1f+1l+1s",
                tmp_path,
                score=(lambda m, s=score: {} if s is None else {"activity_map": s}),
            )
        assert summary["champion"] is promoted, (score, summary)
        assert not (tmp_path / "convae-1f+1l+1s-seed0.pt").exists()  # the checkpoint goes once the model is registered
    assert summary["version"] == str(len(runs))
