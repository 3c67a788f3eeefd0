import pytest

from phenodag.core.shared.vocab import MORPHOLOGICAL, PROFILES
from phenodag.core.simulate.design import (
    MORPHOLOGY_ONLY_KINDS,
    Compound,
    ResponseSpec,
    Signature,
    endpoint_design,
    make_compounds,
    timelapse_design,
)


def test_response_bands_by_concentration() -> None:
    c = Compound("X", "switch", ((1.0, ResponseSpec("cytostatic", 2, 0.6)), (10.0, ResponseSpec("cytotoxic", 2, 1.0))))
    assert c.response_at(0.1).type == "no_effect"
    assert c.response_at(1.0).type == "cytostatic"
    assert c.response_at(5.0).type == "cytostatic"
    assert c.response_at(10.0).type == "cytotoxic"


def test_make_compounds_cycles_profiles_with_a_concentration_switch() -> None:
    concs = (0.1, 1.0, 10.0)
    compounds = make_compounds(10, concs, (0.0, 48.0), seed=3)
    assert [c.profile for c in compounds] == list(PROFILES) * 2
    for c in compounds:
        assert c.response_at(0.1).type == "no_effect"
        if c.profile == "inactive":
            assert c.signature is None and c.response_at(10.0).type == "no_effect"
        elif c.profile == "switch":
            assert (c.response_at(1.0).type, c.response_at(10.0).type) == ("cytostatic", "cytotoxic")
        else:
            assert c.response_at(1.0).type == c.response_at(10.0).type == c.profile
            assert c.response_at(1.0).strength < c.response_at(10.0).strength
    assert make_compounds(10, concs, (0.0, 48.0), seed=3) == compounds
    assert make_compounds(10, concs, (0.0, 48.0), seed=4) != compounds


def test_signature_only_at_its_configurations() -> None:
    sig = Signature("sig01", "elongation", 0.8, min_conc_um=1.0, window_h=(24.0, 96.0))
    c = Compound("X", "cytostatic", (), sig)
    assert c.signature_weight(0.1, 48.0) == 0.0
    assert c.signature_weight(10.0, 0.0) == 0.0
    assert c.signature_weight(10.0, 48.0) == pytest.approx(0.8)
    assert 0.0 < c.signature_weight(10.0, 27.0) < 0.8  # ramps in


def test_designs_and_validation() -> None:
    tl = timelapse_design(n_compounds=3, days=2, every_h=2)
    assert tl.times_h[0] == -4.0 and tl.times_h[-1] == 48.0 and tl.kind == "timelapse"
    assert tl.wells_per_plate == 3 * 3 + 4
    assert tl.n_images == 2 * tl.wells_per_plate * len(tl.times_h)
    ep = endpoint_design(n_compounds=4)
    assert ep.times_h == (24.0, 72.0) and len(ep.concentrations_um) == 3
    with pytest.raises(ValueError, match="layout"):
        tl.with_(layout="operetta")
    with pytest.raises(ValueError, match="bit_depth"):
        tl.with_(bit_depth=12)
    with pytest.raises(ValueError, match="do not fit"):
        timelapse_design(n_compounds=40)
    with pytest.raises(ValueError, match="response type"):
        ResponseSpec("toxic")


def test_timelapse_plants_no_signatures_unless_asked() -> None:
    plain, signed = timelapse_design(n_compounds=5), timelapse_design(n_compounds=5, signatures=True)
    assert all(c.signature is None for c in plain.compounds)
    assert any(c.signature is not None for c in signed.compounds)
    assert [c.responses for c in plain.compounds] == [c.responses for c in signed.compounds]


def test_morphological_compounds_change_looks_not_growth_and_leave_the_others_alone() -> None:
    plain = timelapse_design(n_compounds=5, seed=2)
    design = timelapse_design(n_compounds=5, seed=2, n_morphological=2)
    assert design.compounds[:5] == plain.compounds  # adding them redraws nothing else
    morph = design.compounds[5:]
    assert [c.name for c in morph] == ["CPD006", "CPD007"] and {c.profile for c in morph} == {MORPHOLOGICAL}
    for c in morph:
        assert c.responses == () and c.response_at(10.0).type == "no_effect"
        assert c.signature is not None and c.signature.kind in MORPHOLOGY_ONLY_KINDS
        assert c.signature_weight(0.1, 48.0) == 0.0  # below the middle dose: looks like control
        assert abs(c.signature_weight(10.0, 48.0)) >= 0.7  # from the middle dose up, by 48 h at the latest
    assert len({c.signature.kind for c in morph if c.signature}) == 2  # kinds cycle
