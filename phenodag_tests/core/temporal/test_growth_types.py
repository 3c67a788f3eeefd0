import numpy as np
import polars as pl
import pytest

from phenodag.core.temporal.config import GrowthTypingConfig
from phenodag.core.temporal.growth_types import growth_type, growth_types

CURVES = {
    "no_effect": [1.0, 0.95, 1.05, 0.9, 1.0, 0.97],
    "morphology_only": [1.02, 0.98, 1.0, 1.01, 0.99, 1.0],  # looks different, grows as the controls do
    "cytostatic": [0.9, 0.2, 0.05, 0.1, 0.8, 0.95],  # arrest, then recovery
    "cytostatic_plateau": [0.9, 0.3, 0.1, 0.05, 0.0, 0.05],  # arrest to the end, never fewer cells
    "cytotoxic": [0.8, 0.2, -0.2, -0.5, -0.7, -0.8],
    "mixed": [0.9, 0.1, 0.05, 0.0, 0.9, 0.95, 0.2, -0.3, -0.4],  # arrest, recovery, then death
    "mixed_relapse": [0.9, 0.1, 0.05, 0.0, 0.9, 0.95, 0.2, 0.1, 0.1],  # arrest, recovery, arrest again
}
EXPECTED = {
    "no_effect": "no_effect",
    "morphology_only": "no_effect",
    "cytostatic": "cytostatic",
    "cytostatic_plateau": "cytostatic",
    "cytotoxic": "cytotoxic",
    "mixed": "mixed",
    "mixed_relapse": "mixed",
}


@pytest.mark.parametrize("name", CURVES)
def test_each_hand_made_growth_curve_gets_its_type(name: str) -> None:
    kind, evidence = growth_type(np.array(CURVES[name]))
    assert kind == EXPECTED[name], evidence


def test_undefined_values_are_skipped_and_too_few_are_no_effect() -> None:
    assert growth_type(np.array([np.nan, 0.9, np.nan, -0.5, -0.6, -0.7]))[0] == "cytotoxic"
    kind, evidence = growth_type(np.array([np.nan, -0.9, np.nan]))
    assert kind == "no_effect" and "1 defined GR values" in evidence


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="death < arrest < recover"):
        GrowthTypingConfig(arrest=-0.2, death=0.0)


def test_growth_types_average_plates_per_time_point_and_use_only_treated_times() -> None:
    rows = []
    for plate, offset in (("P1", 0.05), ("P2", -0.05)):
        for t, w in zip([-4.0, 4.0, 8.0, 12.0, 16.0, 20.0], [-3.0, 0.8, 0.1, -0.4, -0.6, -0.7], strict=True):
            rows.append(
                {
                    "plate_id": plate,
                    "cell_line": "L",
                    "compound": "A",
                    "concentration_um": 1.0,
                    "time_h": t,
                    "gr_window": w + offset,
                    "confluence": 0.5,
                }
            )
    rows.append(
        {"plate_id": "P1", "cell_line": "L", "compound": "B", "concentration_um": 1.0, "time_h": 4.0, "gr_window": None}
    )
    table = growth_types(pl.DataFrame(rows)).sort("compound")
    assert table["growth_type"].to_list() == ["cytotoxic", "no_effect"]
    assert table["min_gr_window"][0] == pytest.approx(-0.7)  # the pre-treatment -3.0 is not read
    assert table["last_gr_window"][0] == pytest.approx(-0.7)
    assert growth_types(pl.DataFrame(rows).head(0)).height == 0


def test_a_full_well_is_not_read_as_arrested() -> None:
    times = [4.0, 8.0, 12.0, 16.0, 20.0, 24.0]
    gr = pl.DataFrame(
        {
            "plate_id": "P1",
            "cell_line": "L",
            "compound": "A",
            "concentration_um": 0.1,
            "time_h": times,
            "gr_window": [1.1, 1.0, 0.9, 0.2, 0.1, 0.05],  # slows once the well is full...
            "confluence": [0.6, 0.7, 0.8, 0.9, 0.95, 0.97],  # ...not because of the drug
        }
    )
    assert growth_types(gr)["growth_type"].to_list() == ["no_effect"]
    unread = growth_types(gr, GrowthTypingConfig(saturation=1.01))
    assert unread["growth_type"].to_list() == ["cytostatic"]  # read to the end, the slowing looks like arrest


def test_one_noisy_point_is_not_a_response_unless_asked() -> None:
    blip = np.array([1.0, 0.9, 0.2, 0.95, 1.0, 0.9])
    assert growth_type(blip)[0] == "no_effect"  # persist 3 by default
    assert growth_type(blip, GrowthTypingConfig(persist=1))[0] == "cytostatic"
