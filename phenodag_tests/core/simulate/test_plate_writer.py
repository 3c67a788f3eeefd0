from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from phenodag.core.ingest.layouts import layout_regex, parse_name
from phenodag.core.simulate.plate_writer import cv8000_name, incucyte_elapsed_name, incucyte_name

cell_lines = st.from_regex(r"[A-Z][A-Za-z0-9]{0,4}( [A-Za-z0-9]{1,4}){0,2}", fullmatch=True)
plates = st.from_regex(r"[A-Za-z0-9]{1,4}(_[A-Za-z0-9]{1,3}){0,2}", fullmatch=True)
wells = st.tuples(st.sampled_from("ABCDEFGHIJKLMNOP"), st.integers(1, 24)).map(lambda t: f"{t[0]}{t[1]}")


@given(cell_lines, plates, wells, st.integers(1, 9), st.integers(0, 10_000))
def test_incucyte_names_parse_back(cell_line: str, plate: str, well: str, site: int, minutes: int) -> None:
    when = datetime(2020, 1, 1) + timedelta(minutes=minutes)
    p = parse_name(incucyte_name(cell_line, plate, well, site, when), layout_regex("incucyte"))
    assert p is not None
    assert (p.cell_line, p.plate, p.site, p.acquired_at) == (cell_line, plate, site, when)
    assert p.col == int(well[1:]) and p.row == well[0]


@given(cell_lines, wells, st.integers(1, 9), st.integers(0, 20_000))
def test_elapsed_names_parse_back(cell_line: str, well: str, site: int, minutes: int) -> None:
    p = parse_name(incucyte_elapsed_name(cell_line, well, site, minutes / 60), layout_regex("incucyte_elapsed"))
    assert p is not None and p.cell_line == cell_line and p.site == site
    assert p.elapsed_h is not None and abs(p.elapsed_h - minutes / 60) < 1e-9


@given(plates, wells, st.integers(1, 9999), st.integers(1, 999), st.integers(1, 4))
def test_cv8000_names_parse_back(plate: str, well: str, t: int, field: int, channel: int) -> None:
    p = parse_name(cv8000_name(plate, well, t, field, channel), layout_regex("cv8000"))
    assert p is not None and (p.plate, p.timepoint, p.site, p.channel) == (plate, t, field, channel)
