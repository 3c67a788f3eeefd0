"""Each stage package exports its public verbs, lazily, as typed and documented functions (scanpy's model)."""

import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[3] / "phenodag" / "core"
STAGES = sorted(p.name for p in CORE.iterdir() if (p / "run.py").exists())


@pytest.mark.parametrize("stage", STAGES)
def test_every_public_verb_resolves_typed_and_documented(stage: str) -> None:
    package = importlib.import_module(f"phenodag.core.{stage}")
    assert package.__all__, f"phenodag.core.{stage} exports nothing"
    for name in package.__all__:
        verb = getattr(package, name)
        if not inspect.isfunction(verb):
            continue  # simulate also exports its design classes and constants
        assert (verb.__doc__ or "").strip(), f"{stage}.{name} has no docstring"
        signature = inspect.signature(verb)
        untyped = [p for p in signature.parameters.values() if p.annotation is inspect.Parameter.empty]
        assert not untyped and signature.return_annotation is not inspect.Signature.empty, f"{stage}.{name}"
    with pytest.raises(AttributeError, match="no attribute"):
        _ = package.no_such_verb


def test_reading_a_torch_free_module_does_not_load_torch() -> None:
    code = "import sys, phenodag.core.embed.config, phenodag.core.lens.config; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
