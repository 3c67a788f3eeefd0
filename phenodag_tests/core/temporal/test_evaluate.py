import polars as pl

from phenodag.core.shared.schemas import SIM_TRUTH_SCHEMA
from phenodag.core.temporal.evaluate import planted_counts, planted_types


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
