"""Fault 9: the embed command (MLflow store, untrusted weights, unreadable images, errors)."""

from pathlib import Path

import polars as pl
import pytest

from phenodag.cli import main
from phenodag.defs.shared.settings import DagsterSettings
from phenodag_tests.faults.conftest import image_name, toy


def test_models_uri_uses_the_home_registry_not_the_cwd(
    home: DagsterSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    folder = toy(home)
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    image = str(folder / image_name())
    args = ["embed", image, "--encoder", "convae", "--out", str(tmp_path / "v.parquet"), "--home", str(home.home)]
    assert main(args) == 2  # nothing registered in this home yet
    assert list(cwd.iterdir()) == []  # no mlflow.db, no mlruns here
    assert str(home.home) in caplog.text and "Traceback" not in caplog.text


def test_text_file_as_weights_is_refused_without_unsafe_advice(
    home: DagsterSettings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = toy(home)
    weights = tmp_path / "weights.torch"
    weights.write_text("this is not a state dict\n")
    args = ["embed", str(folder / image_name()), "--encoder", "convae-phenoml", "--weights", str(weights)]
    assert main([*args, "--out", str(tmp_path / "v.parquet"), "--home", str(home.home)]) == 2
    assert str(weights) in caplog.text and "never unpickles" in caplog.text
    assert "weights_only=False" not in caplog.text and "Traceback" not in caplog.text


def test_one_unreadable_image_is_skipped_and_reported(
    home: DagsterSettings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = toy(home)
    good = [folder / image_name(hours=t) for t in (0.0, 12.0)]
    bad = folder / "broken.tif"
    bad.write_bytes(b"II*\x00 truncated")
    out = tmp_path / "v.parquet"
    args = ["embed", *map(str, [good[0], bad, good[1]]), "--encoder", "convae-random", "--weights", "random"]
    assert main([*args, "--out", str(out), "--home", str(home.home)]) == 1
    vectors = pl.read_parquet(out)
    assert sorted(vectors["path"].to_list()) == sorted(str(p.resolve()) for p in good)
    assert "1 unreadable image(s) skipped" in caplog.text and str(bad.resolve()) in caplog.text


def test_missing_image_is_a_one_line_error(
    home: DagsterSettings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    args = ["embed", str(tmp_path / "nope.tif"), "--encoder", "convae-random", "--weights", "random"]
    assert main([*args, "--out", str(tmp_path / "v.parquet")]) == 2
    assert "no such file" in caplog.text and "Traceback" not in caplog.text
