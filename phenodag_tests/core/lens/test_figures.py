"""The lens figures: the α curve and the triptychs of the corrections with the largest gain."""

from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest
import torch

from phenodag.core.lens import figures


def test_triptychs_show_the_largest_gains_of_distinct_images(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[list[str]] = []
    monkeypatch.setattr(figures, "triptychs", lambda images, lensed, maps, titles: shown.append(titles) or b"png")
    corrections = pl.DataFrame(
        {
            "path": ["a", "a", "b", "c"],
            "gain": [0.9, 0.8, 0.1, 0.5],
            "case": "raised",
            "class_name": "A",
            "p_true_original": 0.2,
            "p_true_lensed": [0.9, 0.8, 0.3, 0.6],
        }
    )
    result = SimpleNamespace(
        corrections=corrections,
        maps=pl.DataFrame({"path": ["c", "b", "a"]}),
        images=torch.zeros(3, 1, 8, 8),
        lensed=torch.zeros(3, 1, 8, 8),
        importance=np.zeros((3, 8, 8)),
    )
    assert figures.correction_triptychs(result, n=2) == b"png"  # type: ignore[arg-type]
    assert shown == [["raised A: p 0.20 -> 0.90", "raised A: p 0.20 -> 0.60"]]  # a once, then c; not b
