from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
import torch

from phenodag.core.embed.convae import ConvAE
from phenodag.core.embed.tracking import (
    champion_score,
    load_convae,
    log_convae,
    promote_if_better,
    promote_if_first,
    resolve_version,
)
from phenodag.core.shared.vocab import CHAMPION_ALIAS


@pytest.fixture
def tracking(tmp_path: Path) -> Iterator[None]:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    mlflow.set_experiment("t")
    yield
    mlflow.set_tracking_uri("")


def test_register_promote_and_load(tracking: None) -> None:
    torch.manual_seed(0)
    first = ConvAE()
    with mlflow.start_run():
        v1 = log_convae(first, {"val_mse": 0.70, "activity_map": 0.2})
    assert promote_if_better(v1, "activity_map", 0.2) and champion_score("activity_map") == 0.2
    with mlflow.start_run():
        v2 = log_convae(ConvAE(), {"val_mse": 0.60, "activity_map": 0.1})
    assert not promote_if_better(v2, "activity_map", 0.1)  # reconstructs better, sees less: the champion stays
    assert not promote_if_first(v2)  # an unjudged version never replaces a champion
    assert resolve_version(f"models:/phenodag-convae@{CHAMPION_ALIAS}")[1] == v1
    with mlflow.start_run():
        v3 = log_convae(ConvAE(), {"val_mse": 0.80, "activity_map": 0.4})
    assert promote_if_better(v3, "activity_map", 0.4)  # sees drug effects better, though it reconstructs worse
    loaded, version_id = load_convae("models:/phenodag-convae/1")
    assert version_id == "mlflow:phenodag-convae/1"
    for a, b in zip(loaded.state_dict().values(), first.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert load_convae(f"models:/phenodag-convae@{CHAMPION_ALIAS}")[1] == f"mlflow:phenodag-convae/{v3}"


def test_an_unjudged_first_version_becomes_the_champion(tracking: None) -> None:
    with mlflow.start_run():
        v1 = log_convae(ConvAE(), {"val_mse": 0.70})
    assert promote_if_first(v1)
    assert resolve_version(f"models:/phenodag-convae@{CHAMPION_ALIAS}")[1] == v1


def test_bad_uris(tracking: None) -> None:
    with pytest.raises(ValueError, match="not a model URI"):
        resolve_version("runs:/abc/model")
    with pytest.raises(FileNotFoundError, match="not in the MLflow registry"):
        resolve_version("models:/nothing@champion")
