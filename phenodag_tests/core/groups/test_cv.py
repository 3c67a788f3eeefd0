from pathlib import Path

import numpy as np
import polars as pl
import pytest
from PIL import Image

from phenodag.core.groups.config import GroupCVConfig
from phenodag.core.groups.cv import cross_validate, restrict_groups
from phenodag.core.groups.data import pack
from phenodag.core.groups.features import GroupInputs, load_inputs


def groups_on_disk(tmp_path: Path) -> pl.DataFrame:
    rng = np.random.default_rng(0)
    confs = ["0.1uM@24h", "1uM@24h"]
    rows = []
    for c in ("A", "B"):
        for g in range(4):
            paths = []
            for conf in confs:
                p = tmp_path / f"{c}{g}_{conf.replace('@', '_')}.png"
                Image.fromarray(rng.integers(0, 255, (20, 20), dtype=np.uint8)).save(p)
                paths.append(str(p))
            rows.append(
                {
                    "group_id": f"{c}{g}",
                    "compound": c,
                    "configurations": confs,
                    "image_ids": [f"{c}{g}/{k}" for k in confs],
                    "paths": paths,
                    "fold": g % 2,
                }
            )
    return pl.DataFrame(rows)


def test_every_group_is_predicted_once_in_its_own_fold(tmp_path: Path) -> None:
    groups = groups_on_disk(tmp_path)
    cfg = GroupCVConfig(epochs=1, batch_groups=2, augment=False, image_size=16)
    seen = []
    inputs = load_inputs(groups, "resnet18", cfg.image_size)
    res = cross_validate(groups, inputs, "mi_net", cfg, on_fold=lambda f, m, s: seen.append(f))
    assert set(res.metrics["features"]) == {"resnet18"} and set(res.predictions["features"]) == {"resnet18"}
    assert seen == [0, 1]
    assert sorted(res.predictions["group_id"]) == sorted(groups["group_id"])
    joined = res.predictions.join(groups.select("group_id", pl.col("fold").alias("own")), on="group_id")
    assert (joined["fold"] == joined["own"]).all()
    assert res.metrics["n_groups"].to_list() == [4, 4] and res.metrics["top1_accuracy"].is_between(0, 1).all()
    assert res.image_predictions.height == 8 * 2 and set(res.image_predictions["configuration"]) == {
        "0.1uM@24h",
        "1uM@24h",
    }


def test_restrict_groups_keeps_one_concentration(tmp_path: Path) -> None:
    groups = groups_on_disk(tmp_path)
    one = restrict_groups(groups, 1.0)
    assert one["configurations"].to_list() == [["1uM@24h"]] * 8 and one["paths"].list.len().to_list() == [1] * 8
    with pytest.raises(ValueError, match="no configuration at 5"):
        restrict_groups(groups, 5.0)


@pytest.mark.parametrize("method", ["product", "amil", "baseline"])
def test_frozen_vectors_learn_a_held_out_signal(method: str) -> None:
    """Vectors whose first four dimensions carry the class: held-out groups are classified (chance is 1/3)."""
    rng = np.random.default_rng(1)
    labels = np.repeat(["A", "B", "C"], 6)
    centres = {"A": -3.0, "B": 0.0, "C": 3.0}
    vectors = rng.normal(size=(18 * 3, 16)).astype(np.float32)
    vectors[:, :4] += np.repeat([centres[c] for c in labels], 3)[:, None]
    x, mask = pack(vectors, [3] * 18)
    groups = pl.DataFrame(
        {
            "group_id": [f"g{i}" for i in range(18)],
            "compound": labels,
            "configurations": [["a", "b", "c"]] * 18,
            "image_ids": [[f"g{i}/{k}" for k in "abc"] for i in range(18)],
            "fold": [i % 3 for i in range(18)],
        }
    )
    cfg = GroupCVConfig(features="embeddings:toy", epochs=40, lr=1e-2, batch_groups=4)
    res = cross_validate(groups, GroupInputs(x, mask, cfg.features, "w1"), method, cfg)
    assert set(res.metrics["features"]) == {"embeddings:toy"}
    assert res.metrics["top1_accuracy"].mean() > 0.7  # chance: 1/3
