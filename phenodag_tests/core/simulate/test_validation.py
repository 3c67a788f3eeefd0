import polars as pl

from phenodag.core.simulate.validation import truth_block, truth_markdown
from phenodag_tests.core.temporal.test_evaluate import TRUTH, calls_of


def reader(tables: dict[str, pl.DataFrame]):  # type: ignore[no-untyped-def]
    return lambda name: tables.get(name, pl.DataFrame())


def test_truth_block_scores_each_stage_against_the_plant_and_leaves_missing_stages_out() -> None:
    calls = calls_of(
        [
            ("M", 0.1, "no_effect", "no_effect", "no_effect"),
            ("M", 1.0, "cytotoxic", "no_effect", "morphological"),
            ("G", 1.0, "cytotoxic", "cytotoxic", "cytotoxic"),
            ("S", 1.0, "cytotoxic", "cytostatic", "cytotoxic"),  # the combined call is wrong here
            ("I", 1.0, "no_effect", "no_effect", "no_effect"),
        ]
    ).with_columns(encoder=pl.lit("convae"))
    metrics = pl.DataFrame(
        {
            "method": ["product", "product", "baseline"],
            "variant": "all",
            "fold": [0, 1, 0],
            "top1_accuracy": [0.5, 0.7, 0.2],
        }
    )
    groups = pl.DataFrame(
        {"compound": ["A", "B", "C", "D"], "group_set": "screen", "fold": [0, 1, 0, 1]},
        schema_overrides={"fold": pl.Int32},
    )
    block = truth_block(
        reader({"response_calls": calls, "sim_truth": TRUTH, "group_cv_metrics": metrics, "image_groups": groups})
    )
    values = {m: (v, c, g) for m, v, c, g in block.select("metric", "value", "chance", "goal").iter_rows()}
    assert values["combined share right"][:2] == (0.8, 0.4)
    assert values["growth share right"][0] == 1.0
    assert 0.0 < values["combined ARI"][0] < 1.0 and values["combined ARI"][2] == ">= 0.8"
    assert values["top-1 product"] == (0.6, 0.25, ">= 2.5x chance")  # mean over folds; 4 compounds
    assert values["combined recall cytostatic (n=1)"][0] == 0.0
    assert not any(m.startswith("map AUROC") for m in values)  # no lens tables: no lens rows, never a 0
    assert set(block["stage"]) == {"temporal", "morphology", "groups"}
    assert truth_markdown(block).splitlines()[0] == "| stage | metric | value | chance | goal |"
