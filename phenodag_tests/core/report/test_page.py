"""The report page: every section under its anchor, figures embedded, missing tables named."""

import io

import polars as pl
from PIL import Image

from phenodag.core.report.page import Section, render_html, summary_png


def _png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(buf, format="PNG")
    return buf.getvalue()


def test_sections_render_with_figures_tables_and_what_is_missing() -> None:
    sections = [
        Section("growth", "Growth curves", "cells per field", _png(40, 20)),
        Section("responses", "Response types", "calls", table=pl.DataFrame({"compound": ["A<b>"], "x": [0.12345]})),
        Section("lens", "Lens maps", "", missing="No lens maps yet: materialise lens_job."),
    ]
    page = render_html("Screen <1>", "2 plates", sections)
    for anchor in ("growth", "responses", "lens"):
        assert f"<section id='{anchor}'>" in page
    assert "data:image/png;base64," in page and "Screen &lt;1&gt;" in page
    assert "A&lt;b&gt;" in page and "0.123" in page  # escaped, three significant digits
    assert "materialise lens_job" in page


def test_summary_lays_figures_two_abreast() -> None:
    png = summary_png(
        [Section("a", "A", "", _png(100, 50)), Section("b", "B", "", _png(100, 100)), Section("c", "C", "")]
    )
    assert png is not None
    image = Image.open(io.BytesIO(png))
    assert image.size == (1600, 800)  # one row: the taller figure scaled to 800 x 800
    assert summary_png([Section("c", "C", "")]) is None
