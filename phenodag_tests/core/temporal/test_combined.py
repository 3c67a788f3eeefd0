import polars as pl

from phenodag.core.temporal.combined import COMBINED_TYPES, combined_calls


def test_growth_decides_growth_effects_and_the_embedding_adds_morphology() -> None:
    clusters = pl.DataFrame(
        {
            "cell_line": "L",
            "compound": ["A", "B", "C", "D", "E", "F"],
            "concentration_um": 1.0,
            "response_type": ["mixed", "cytotoxic", "cytostatic", "no_effect", "cytotoxic", "mixed"],
            "effect_size": [3.0, 2.0, 0.2, 0.3, 4.0, 3.0],
        }
    )
    growth = pl.DataFrame(
        {
            "cell_line": "L",
            "compound": ["A", "B", "C", "D", "F"],
            "concentration_um": 1.0,
            "growth_type": ["cytostatic", "no_effect", "no_effect", "no_effect", "cytotoxic"],
            "min_gr_window": [0.1, 0.9, 0.95, 1.0, -0.5],
        }
    )
    out = combined_calls(clusters, growth, min_effect=0.5)
    assert out["combined_type"].to_list() == [
        "mixed",  # A: growth says arrest; the embedding sees the relapse that full wells hide from GR
        "morphological",  # B: seen by the embedding, grows as the controls do
        "no_effect",  # C: neither (the embedding's type is below its effect floor)
        "no_effect",  # D
        "cytotoxic",  # E: no growth call (no GR): the embedding's call stands
        "cytotoxic",  # F: growth saw death without a recovery: the embedding does not override it
    ]
    assert set(out["combined_type"]) <= set(COMBINED_TYPES)
    assert out["embedding_type"][0] == "mixed" and out["growth_type"][0] == "cytostatic"  # both kept beside
