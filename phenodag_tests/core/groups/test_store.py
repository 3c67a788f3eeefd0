from pathlib import Path

import pytest
import torch

from phenodag.core.groups.models import GroupClassifier, Standardize
from phenodag.core.groups.store import FoldModelInfo, load_fold_model, load_method_models, save_fold_model


def test_saved_vector_model_predicts_the_same_after_loading(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = GroupClassifier("amil", 3, Standardize(8).fit(torch.randn(20, 8) * 3 + 1), dim=8).eval()
    info = FoldModelInfo("amil", 2, ["a", "b", "c"], "embeddings:toy", "w1", 8, 64)
    path = save_fold_model(tmp_path, model, info)
    assert path == tmp_path / "amil" / "fold2.pt"
    loaded, got = load_fold_model(path)
    assert got == info
    x = torch.randn(4, 5, 8)
    assert torch.allclose(loaded(x), model(x))
    assert set(load_method_models(tmp_path, "amil")) == {2} and load_method_models(tmp_path, "product") == {}


def test_missing_model_file_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="materialise group_cv"):
        load_fold_model(tmp_path / "product" / "fold0.pt")
