import itertools

import pytest

from phenodag.core.simulate.design import ResponseSpec
from phenodag.core.simulate.responses import Modifiers, modifiers, ramp


def test_no_effect_is_neutral() -> None:
    for t in (-10.0, 0.0, 50.0):
        assert modifiers(ResponseSpec(), t) == Modifiers()


def test_cytostatic_arrests_then_recovers() -> None:
    spec = ResponseSpec("cytostatic", onset_h=10, strength=1.0, duration_h=30)
    before, during, after = modifiers(spec, 0), modifiers(spec, 25), modifiers(spec, 70)
    assert before.growth == 1.0 and during.growth == pytest.approx(0.0) and after.growth == pytest.approx(1.0)
    assert during.enlarge > 1.0 and during.flatten > 0.9 and during.death == 0.0


def test_cytotoxic_death_grows_with_time() -> None:
    spec = ResponseSpec("cytotoxic", onset_h=0, strength=1.0)
    deaths = [modifiers(spec, t).death for t in (0, 12, 24, 48, 72)]
    assert deaths[0] == 0.0 and all(a < b for a, b in itertools.pairwise(deaths[:-1]))
    assert modifiers(spec, 72).growth == pytest.approx(0.0)


def test_mixed_arrests_recovers_then_partial_death() -> None:
    spec = ResponseSpec("mixed", onset_h=0, strength=1.0, duration_h=40)
    early, between, late = modifiers(spec, 12), modifiers(spec, 54), modifiers(spec, 90)
    assert early.growth < 0.1 and early.death == 0.0 and early.flatten > 0.5
    assert between.growth == pytest.approx(1.0) and between.death == 0.0 and between.flatten == 0.0
    assert late.death > 0.0 and late.death < modifiers(ResponseSpec("cytotoxic", 0, 1.0), 80).death


def test_ramp() -> None:
    assert ramp(0, 5) == 0.0 and ramp(20, 5) == 1.0 and ramp(8, 5) == pytest.approx(0.5)
