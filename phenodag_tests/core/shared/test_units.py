"""Times read as people say them."""

import pytest

from phenodag.core.shared.units import hours_label


@pytest.mark.parametrize(
    ("hours", "label"),
    [(0.0, "0 h"), (12.0, "12 h"), (28.916667, "28.9 h"), (-2.0, "-2 h"), (47.96, "48 h"), (115.83, "4 d 20 h")],
)
def test_hours_read_as_people_say_them(hours: float, label: str) -> None:
    assert hours_label(hours) == label
