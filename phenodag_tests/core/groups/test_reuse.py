import polars as pl

from phenodag.core.groups.reuse import line_data


def test_each_line_starts_at_the_clean_score() -> None:
    rows = pl.DataFrame(
        {
            "method": ["p"] * 6,
            "perturbation": ["none", "none", "blur", "blur", "duplicates", "duplicates"],
            "level": [0.0, 0.0, 3.0, 3.0, 1.0, 1.0],
            "fold": [0, 1] * 3,
            "accuracy": [0.8, 0.6, 0.5, 0.3, 0.6, 0.6],
        }
    )
    lines = line_data(rows)
    assert set(lines) == {"blur", "duplicates"}
    levels, acc = lines["blur"]["p"]
    assert levels == [0.0, 3.0] and acc == [0.7, 0.4]
    assert lines["duplicates"]["p"] == ([0.0, 1.0], [0.7, 0.6])
