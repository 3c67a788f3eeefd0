import ast
from pathlib import Path

from phenodag.core.shared import vocab

PACKAGE = Path(__file__).resolve().parents[3] / "phenodag"


def string_literals(path: Path) -> set[str]:
    return {
        n.value
        for n in ast.walk(ast.parse(path.read_text()))
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def test_closed_vocabularies_are_written_out_only_in_vocab() -> None:
    words = {"vit_b_16", "resnet50", "mi_net_inst", "amil", "phenodag-convae", "phenodag-group-cv", "phenodag-temporal"}
    offenders = {
        str(p.relative_to(PACKAGE)): sorted(words & string_literals(p))
        for p in PACKAGE.rglob("*.py")
        if p.name != "vocab.py" and words & string_literals(p)
    }
    # where a name selects its behaviour: the registry maps each encoder to its network, the group model
    # picks its pooling by method; the lists themselves (partitions, CLI choices, loops) come from vocab
    assert offenders == {
        "core/embed/registry.py": ["resnet50", "vit_b_16"],
        "core/groups/models.py": ["amil", "mi_net_inst"],
    }


def test_vocab_is_torch_free_and_consistent() -> None:
    tree = ast.parse(Path(vocab.__file__).read_text())
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]  # loads nothing, no torch
    assert vocab.ENCODER_NAMES == vocab.CONVAE_ENCODERS + vocab.TORCHVISION_ENCODERS + vocab.CLASSICAL_ENCODERS
    assert vocab.NO_EFFECT in vocab.RESPONSE_TYPES
    assert f"models:/{vocab.CONVAE_MODEL_NAME}@{vocab.CHAMPION_ALIAS}" == vocab.CONVAE_CHAMPION_URI


def test_every_encoder_says_what_it_needs() -> None:
    from phenodag.core.shared.vocab import ENCODER_NAMES, ENCODER_NEEDS, encoder_needs_markdown

    assert tuple(ENCODER_NEEDS) == ENCODER_NAMES
    table = encoder_needs_markdown()
    assert all(f"| `{name}` |" in table for name in ENCODER_NAMES) and "PHENODAG_PHENOML_WEIGHTS" in table
