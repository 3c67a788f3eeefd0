"""The screen report as one self-contained HTML page and one PNG summary.

A report is a list of :class:`Section`: a title, a one-line caption, an optional figure
(PNG, embedded as a data URI so the page travels as one file) and an optional table.
A section whose tables are missing says what to run instead of showing an empty figure.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass

import polars as pl
from PIL import Image

SUMMARY_WIDTH = 1600
"""Width in pixels of the PNG summary (the figures in a two-column grid)."""


@dataclass(frozen=True)
class Section:
    """One part of the report; ``anchor`` is its HTML id (what the browser test looks for)."""

    anchor: str
    title: str
    caption: str
    png: bytes | None = None
    table: pl.DataFrame | None = None
    missing: str | None = None


def _table_html(df: pl.DataFrame, max_rows: int = 200) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in df.columns)
    rows = []
    for row in df.head(max_rows).iter_rows():
        cells = "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row)
        rows.append(f"<tr>{cells}</tr>")
    more = f"<p class='more'>{df.height - max_rows} more rows in the table.</p>" if df.height > max_rows else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; padding-bottom: .2em; }
p.caption { color: #555; font-size: .9em; } p.missing { color: #a33; }
table { border-collapse: collapse; font-size: .8em; margin: .5em 0 1.5em; }
th, td { border: 1px solid #ddd; padding: .2em .5em; text-align: left; } th { background: #f4f4f4; }
img { max-width: 100%; } nav a { margin-right: 1em; }
"""


def render_html(title: str, subtitle: str, sections: list[Section]) -> str:
    """Return the report as one HTML page: a contents line, then each section with its figure and table."""
    nav = " ".join(f"<a href='#{s.anchor}'>{html.escape(s.title)}</a>" for s in sections)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p class='caption'>{html.escape(subtitle)}</p><nav>{nav}</nav>",
    ]
    for s in sections:
        parts.append(f"<section id='{s.anchor}'><h2>{html.escape(s.title)}</h2>")
        parts.append(f"<p class='caption'>{html.escape(s.caption)}</p>")
        if s.missing:
            parts.append(f"<p class='missing'>{html.escape(s.missing)}</p>")
        if s.png:
            data = base64.b64encode(s.png).decode()
            parts.append(f"<img alt='{html.escape(s.title)}' src='data:image/png;base64,{data}'>")
        if s.table is not None and s.table.height:
            parts.append(_table_html(s.table))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def summary_png(sections: list[Section]) -> bytes | None:
    """Return the sections' figures in a two-column grid, each scaled to half the summary's width; None without any."""
    figures = [Image.open(io.BytesIO(s.png)).convert("RGB") for s in sections if s.png]
    if not figures:
        return None
    cell = SUMMARY_WIDTH // 2
    scaled = [f.resize((cell, max(1, round(f.height * cell / f.width)))) for f in figures]
    rows = [scaled[i : i + 2] for i in range(0, len(scaled), 2)]
    height = sum(max(im.height for im in row) for row in rows)
    canvas = Image.new("RGB", (SUMMARY_WIDTH, height), "white")
    y = 0
    for row in rows:
        for x, im in enumerate(row):
            canvas.paste(im, (x * cell, y))
        y += max(im.height for im in row)
    buf = io.BytesIO()
    canvas.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
