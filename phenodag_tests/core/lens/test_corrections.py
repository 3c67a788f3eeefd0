"""The mined corrections follow the paper's rules and are capped per case."""

import polars as pl

from phenodag.core.lens.corrections import mine_corrections


def test_rules_and_cap() -> None:
    maps = pl.DataFrame(
        {
            "path": ["a", "b", "c", "d", "e"],
            "class_name": ["A", "A", "B", "DMSO", "B"],
            "pred_original": ["DMSO", "B", "A", "A", "B"],
            "pred_lensed": ["A", "A", "A", "DMSO", "B"],
            "p_true_original": [0.2, 0.3, 0.1, 0.3, 0.6],
            "p_true_lensed": [0.6, 0.9, 0.2, 0.9, 0.7],
        }
    )
    out = mine_corrections(maps, "DMSO", cap=5)
    cases = {c: sorted(out.filter(pl.col("case") == c)["path"]) for c in ("control_fixed", "drug_fixed", "raised")}
    assert cases == {"control_fixed": ["a"], "drug_fixed": ["b"], "raised": ["b", "d"]}
    assert out.filter(pl.col("path") == "b")["gain"].round(6).to_list() == [0.6, 0.6]
    assert mine_corrections(maps, "DMSO", cap=1).filter(pl.col("case") == "raised")["path"].to_list() == ["b"]
