import numpy as np

from phenodag.core.compare.classification import drug_vs_control, held_out_scores
from phenodag_tests.core.compare.synthetic import profiles


def test_pure_noise_scores_chance_on_held_out_data() -> None:
    aucs = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(60, 20))
        y = np.r_[np.ones(30, int), np.zeros(30, int)]
        groups = np.repeat(np.arange(6), 10)
        aucs += [f["roc_auc"] for f in held_out_scores(x, y, groups, seed) if f["roc_auc"] is not None]
    assert abs(float(np.mean(aucs)) - 0.5) < 0.08


def test_a_strong_effect_is_found_on_held_out_plates_and_folds_never_share_a_plate() -> None:
    rows = drug_vs_control(profiles({"STRONG": 6.0, "NONE": 0.0}, noise=1.0), "e")
    assert set(rows["held_out"]) == {"plates"} and rows.filter(rows["compound"] == "STRONG")["fold"].to_list() == [0, 1]
    strong = rows.filter(rows["compound"] == "STRONG")
    none = rows.filter(rows["compound"] == "NONE")
    assert strong["roc_auc"].min() > 0.95
    assert none["roc_auc"].mean() < 0.85
    assert (strong["n_train"] + strong["n_test"]).to_list() == [36, 36]  # 2x(2 drug + 4 DMSO wells) x 3 times
