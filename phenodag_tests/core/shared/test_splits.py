"""The one hold-out split: whole groups, seeded, on scikit-learn's GroupShuffleSplit."""

from phenodag.core.shared.splits import held_out_count, holdout_split


def test_holdout_is_by_whole_groups() -> None:
    groups = [f"w{i // 3}" for i in range(30)]
    train, val = holdout_split(groups, 0.2, seed=0)
    assert len(val) == 6 and len(train) == 24  # 2 of 10 wells, 3 images each
    assert not {groups[i] for i in train} & {groups[i] for i in val}
    assert sorted([*train, *val]) == list(range(30))
    assert holdout_split(["a", "a"], 0.2, 0)[1].size == 0  # one group: nothing to hold out


def test_the_same_seed_holds_out_the_same_groups_and_another_seed_others() -> None:
    groups = [f"w{i}" for i in range(40)]
    picks = {seed: tuple(holdout_split(groups, 0.25, seed)[1]) for seed in range(5)}
    assert picks[0] == tuple(holdout_split(groups, 0.25, 0)[1])
    assert len(set(picks.values())) > 1


def test_at_least_one_and_never_every_group() -> None:
    assert held_out_count(2, 0.01) == 1
    assert held_out_count(3, 0.99) == 2
    assert held_out_count(10, 0.0) == 0 and held_out_count(1, 0.5) == 0
