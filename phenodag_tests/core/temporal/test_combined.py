import polars as pl

from phenodag.core.shared.schemas import RESPONSE_CALLS_SCHEMA
from phenodag.core.temporal.combined import COMBINED_TYPES, combined_calls, response_calls


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
    activity = pl.DataFrame(
        {
            "cell_line": "L",
            "compound": ["A", "B", "C", "D", "E", "F"],
            "concentration_um": 1.0,
            "activity_map": [0.9, 0.8, 0.3, 0.95, 0.9, 0.9],
            "active": [True, True, False, None, True, True],  # D: no activity verdict: not active
        }
    )
    out = combined_calls(clusters, growth, activity)
    assert out["combined_type"].to_list() == [
        "mixed",  # A: growth says arrest; the embedding sees the relapse that full wells hide from GR
        "morphological",  # B: seen by the embedding, grows as the controls do
        "no_effect",  # C: neither (the embedding's type, but the condition is not active)
        "no_effect",  # D
        "cytotoxic",  # E: no growth call (no GR): the embedding's call stands
        "cytotoxic",  # F: growth saw death without a recovery: the embedding does not override it
    ]
    assert set(out["combined_type"]) <= set(COMBINED_TYPES)
    assert out["embedding_type"][0] == "mixed" and out["growth_type"][0] == "cytostatic"  # both kept beside


def test_response_calls_type_growth_and_write_the_table_and_switches() -> None:
    clusters = pl.DataFrame(
        {
            "cell_line": "L",
            "compound": "A",
            "concentration_um": [0.1, 1.0, 10.0],
            "encoder": "e",
            "cluster": pl.Series([-1, 0, 1], dtype=pl.Int32),
            "response_type": ["no_effect", "cytostatic", "cytotoxic"],
            "effect_size": [0.1, 2.0, 3.0],
        }
    )
    series = {0.1: [1.0] * 6, 1.0: [0.9, 0.2, 0.1, 0.1, 0.2, 0.2], 10.0: [0.8, 0.1, -0.5, -0.6, -0.7, -0.8]}
    gr = pl.DataFrame(
        [
            {
                "plate_id": "P",
                "cell_line": "L",
                "compound": "A",
                "concentration_um": conc,
                "time_h": 4.0 * (i + 1),
                "gr_window": v,
                "confluence": 0.5,
            }
            for conc, values in series.items()
            for i, v in enumerate(values)
        ]
    )
    encoder_map = pl.DataFrame(
        {
            "kind": ["activity"] * 3 + ["consistency"],
            "cell_line": "L",
            "compound": ["A", "A", "A", None],
            "concentration_um": [0.1, 1.0, 10.0, None],
            "map": [0.3, 0.9, 0.95, 1.0],
            "significant": [False, True, True, True],
        }
    )
    calls, switches = response_calls(clusters, gr, encoder_map)
    assert calls.schema == pl.Schema(RESPONSE_CALLS_SCHEMA)
    assert calls["growth_type"].to_list() == ["no_effect", "cytostatic", "cytotoxic"]
    assert calls["combined_type"].to_list() == ["no_effect", "cytostatic", "cytotoxic"]
    assert switches["switch"].to_list() == ["cytostatic→cytotoxic"]
    assert calls["active"].to_list() == [False, True, True]
    alone, _ = response_calls(clusters, gr.head(0), encoder_map)  # no GR yet: the embedding's call, where active
    assert alone["growth_type"].null_count() == 3 and alone["combined_type"].to_list()[1:] == [
        "cytostatic",
        "cytotoxic",
    ]
    blind, _ = response_calls(clusters, gr, encoder_map.head(0))  # no activity yet: growth's call alone
    assert blind["combined_type"].to_list() == ["no_effect", "cytostatic", "cytotoxic"]
