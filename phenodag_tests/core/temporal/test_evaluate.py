import polars as pl

from phenodag.core.shared.schemas import SIM_TRUTH_SCHEMA
from phenodag.core.temporal.evaluate import (
    call_agreement,
    call_confusion,
    morphology_detection,
    planted_counts,
    planted_types,
)


def truth_row(compound: str, conc: float, response: str, sig_min: float | None, control: bool = False) -> dict:
    return {
        "plate_id": "P1",
        "cell_line": "L",
        "compound": compound,
        "concentration_um": conc,
        "is_control": control,
        "profile": "x",
        "response_type": response,
        "onset_h": 0.0,
        "strength": 0.0,
        "signature_id": None if sig_min is None else "s",
        "signature_kind": None if sig_min is None else "halo",
        "signature_min_conc_um": sig_min,
        "signature_from_h": None if sig_min is None else 0.0,
    }


def test_planted_types_flag_morphology_only_conditions() -> None:
    truth = pl.DataFrame(
        [
            truth_row("DMSO", 0.0, "no_effect", None, control=True),
            truth_row("M", 0.1, "no_effect", 1.0),  # signature not yet showing
            truth_row("M", 1.0, "no_effect", 1.0),
            truth_row("M", 1.0, "no_effect", 1.0),  # a second plate's row of the same condition
            truth_row("G", 10.0, "cytotoxic", 1.0),  # a growth response with a signature: growth, not morphology
            truth_row("I", 10.0, "no_effect", None),
        ],
        schema=SIM_TRUTH_SCHEMA,
    )
    planted = planted_types(truth).sort("compound", "concentration_um")
    assert planted.select("compound", "concentration_um", "planted", "morphology").rows() == [
        ("G", 10.0, "cytotoxic", False),
        ("I", 10.0, "no_effect", False),
        ("M", 0.1, "no_effect", False),
        ("M", 1.0, "no_effect", True),
    ]
    assert dict(planted_counts(truth).iter_rows()) == {"cytotoxic": 1, "no_effect": 3}


def calls_of(rows: list[tuple[str, float, str, str | None, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "cell_line": "L",
                "compound": c,
                "concentration_um": conc,
                "embedding_type": emb,
                "growth_type": growth,
                "combined_type": comb,
            }
            for c, conc, emb, growth, comb in rows
        ]
    )


TRUTH = pl.DataFrame(
    [
        truth_row("DMSO", 0.0, "no_effect", None, control=True),
        truth_row("M", 0.1, "no_effect", 1.0),
        truth_row("M", 1.0, "no_effect", 1.0),
        truth_row("G", 1.0, "cytotoxic", None),
        truth_row("S", 1.0, "cytostatic", None),
        truth_row("I", 1.0, "no_effect", None),
    ],
    schema=SIM_TRUTH_SCHEMA,
)


def test_each_call_is_scored_against_what_it_can_know() -> None:
    calls = calls_of(
        [
            ("M", 0.1, "no_effect", "no_effect", "no_effect"),
            ("M", 1.0, "cytotoxic", "no_effect", "morphological"),  # right only for the combined call
            ("G", 1.0, "cytotoxic", "cytotoxic", "cytotoxic"),
            ("S", 1.0, "cytotoxic", "cytostatic", "cytostatic"),
            ("I", 1.0, "no_effect", None, "no_effect"),  # no growth call: not scored for growth
        ]
    )
    agreement = {r["call"]: r for r in call_agreement(calls, TRUTH).iter_rows(named=True)}
    assert agreement["combined"]["share_right"] == 1.0 and agreement["combined"]["ari"] == 1.0
    assert agreement["growth"]["conditions"] == 4 and agreement["growth"]["share_right"] == 1.0
    assert agreement["embedding"]["share_right"] == 0.6
    assert agreement["combined"]["chance_share_right"] == 0.4  # no_effect: 2 of 5
    confusion = call_confusion(calls, TRUTH, "embedding")
    assert confusion.filter(pl.col("planted") == "no_effect")["cytotoxic"].to_list() == [1]
    assert morphology_detection(calls, TRUTH) == {"detected": 1.0, "false_positive": 0.0}
