"""File-name layouts of instrument exports: parse well, site and time from a name.

Each layout is an anchored regular expression with named groups. The fixed fields
(well, site, time) sit at the right of a name, so patterns match them from the right
and leave everything before them to the free-text fields: plate ids carry underscores
(``CL3_P2``) and cell-line names carry spaces (``MDA MB 231``), so names are never
split naively on ``_``. In the Incucyte absolute form the cell line is the text before
the first underscore (cell-line names carry spaces, not underscores) and the plate id
is everything between it and the well.

Built-in layouts:

``incucyte``
    ``{cellline}_{plate}_{well}_{site}_{YYYY}y{MM}m{DD}d_{HH}h{MM}m.{tif,jpg,png}``
    (absolute acquisition time).
``incucyte_elapsed``
    ``{cellline}_{well}_{site}_{DD}d{HH}h{MM}m.{ext}`` (time elapsed since the start).
``cv8000``
    ``{plate}_{well}_T{time:04d}F{field:03d}L{..}A{..}Z{..}C{channel:02d}.tif``
    (Yokogawa CV8000; time is a time-point index).
``regex``
    A user pattern with named groups: ``well`` is required; time from ``time_h``,
    ``timepoint``, ``elapsed_d``/``elapsed_h``/``elapsed_m`` or
    ``year``/``month``/``day``/``hour``/``minute``; optional ``site``, ``cell_line``,
    ``plate``, ``channel``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

_WELL = r"(?P<well>[A-Za-z]{1,2}\d{1,2})"
_EXT = r"\.(?P<ext>tiff?|jpe?g|png)"

LAYOUT_PATTERNS: dict[str, str] = {
    "incucyte": (
        r"^(?P<cell_line>[^_]+)_(?P<plate>.+)_" + _WELL + r"_(?P<site>\d+)_"
        r"(?P<year>\d{4})y(?P<month>\d{2})m(?P<day>\d{2})d_(?P<hour>\d{2})h(?P<minute>\d{2})m" + _EXT + "$"
    ),
    "incucyte_elapsed": (
        r"^(?P<cell_line>.+)_" + _WELL + r"_(?P<site>\d+)_"
        r"(?P<elapsed_d>\d+)d(?P<elapsed_h>\d{2})h(?P<elapsed_m>\d{2})m" + _EXT + "$"
    ),
    "cv8000": (
        r"^(?P<plate>.+)_" + _WELL + r"_T(?P<timepoint>\d{4})F(?P<site>\d{3})"
        r"L(?P<line>\d+)A(?P<action>\d+)Z(?P<z>\d+)C(?P<channel>\d{2})\.(?P<ext>tiff?)$"
    ),
}
BUILTIN_LAYOUTS = tuple(LAYOUT_PATTERNS)
LAYOUTS = (*BUILTIN_LAYOUTS, "regex")


class LayoutError(ValueError):
    """A layout could not be chosen or a pattern is unusable."""


@dataclass(frozen=True)
class ParsedName:
    """Fields read from one file name; absent fields are None.

    Exactly one source of time is set: ``acquired_at`` (absolute), ``elapsed_h``
    (hours since the start of imaging), ``timepoint`` (an index to map to hours) or
    ``time_h`` (hours since treatment, given directly).
    """

    well: str
    row: str
    col: int
    site: int
    cell_line: str | None = None
    plate: str | None = None
    channel: int | None = None
    acquired_at: datetime | None = None
    elapsed_h: float | None = None
    timepoint: int | None = None
    time_h: float | None = None


def normalize_well(well: str) -> tuple[str, str, int]:
    """Return the canonical well name, its row letters and column number.

    ``b3``, ``B3`` and ``B03`` all become ``("B03", "B", 3)``.

    Raises
    ------
    ValueError
        If ``well`` is not letters followed by a column number.
    """
    m = re.fullmatch(r"\s*([A-Za-z]{1,2})0*(\d{1,2})\s*", well)
    if not m or int(m.group(2)) == 0:
        raise ValueError(f"well {well!r} is not a row letter followed by a column number")
    row, col = m.group(1).upper(), int(m.group(2))
    return f"{row}{col:02d}", row, col


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a user layout pattern, checking it has the groups a name needs.

    Raises
    ------
    LayoutError
        If the pattern does not compile, lacks a ``well`` group or any time group.
    """
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise LayoutError(f"layout pattern {pattern!r} does not compile: {exc}") from exc
    groups = set(rx.groupindex)
    if "well" not in groups:
        raise LayoutError(f"layout pattern {pattern!r} needs a named group 'well'")
    time_groups = {"time_h", "timepoint", "elapsed_h", "year"}
    if not groups & time_groups:
        raise LayoutError(f"layout pattern {pattern!r} needs one of the time groups {sorted(time_groups)}")
    return rx


def layout_regex(layout: str, pattern: str | None = None) -> re.Pattern[str]:
    """Return the compiled regex of a built-in layout, or of ``pattern`` for ``regex``."""
    if layout == "regex":
        if not pattern:
            raise LayoutError("layout 'regex' needs a 'pattern' in plate.yaml")
        return compile_pattern(pattern)
    if layout not in LAYOUT_PATTERNS:
        raise LayoutError(f"unknown layout {layout!r}; expected one of {list(LAYOUTS)}")
    return re.compile(LAYOUT_PATTERNS[layout])


def _int(groups: dict[str, str | None], key: str) -> int | None:
    value = groups.get(key)
    return int(value) if value not in (None, "") else None


def parse_name(name: str, rx: re.Pattern[str]) -> ParsedName | None:
    """Parse one file name with a layout regex; None when it does not match.

    Raises
    ------
    ValueError
        If the name matches but a field is invalid (e.g. month 13, well ``B00``).
    """
    m = rx.match(name)
    if m is None:
        return None
    g = m.groupdict()
    well, row, col = normalize_well(g["well"] or "")
    acquired_at = None
    if g.get("year"):
        acquired_at = datetime(
            int(g["year"] or 0), int(g["month"] or 1), int(g["day"] or 1), _int(g, "hour") or 0, _int(g, "minute") or 0
        )
    elapsed_h = None
    if g.get("elapsed_h") is not None or g.get("elapsed_d") is not None:
        elapsed_h = (
            24.0 * (_int(g, "elapsed_d") or 0) + (_int(g, "elapsed_h") or 0) + (_int(g, "elapsed_m") or 0) / 60.0
        )
    time_h = float(g["time_h"]) if g.get("time_h") not in (None, "") else None
    return ParsedName(
        well=well,
        row=row,
        col=col,
        site=_int(g, "site") or 1,
        cell_line=(g.get("cell_line") or None),
        plate=(g.get("plate") or None),
        channel=_int(g, "channel"),
        acquired_at=acquired_at,
        elapsed_h=elapsed_h,
        timepoint=_int(g, "timepoint"),
        time_h=time_h,
    )


def detect_layout(names: Iterable[str]) -> str:
    """Pick the built-in layout that matches the most file names.

    Parameters
    ----------
    names
        Image file names (not paths) of one plate folder.

    Returns
    -------
    str
        The layout's name.

    Raises
    ------
    LayoutError
        If no built-in layout matches any name, or two match equally many (the plate
        folder must then name its layout in ``plate.yaml``).
    """
    names = list(names)
    counts = {layout: sum(1 for n in names if re.match(LAYOUT_PATTERNS[layout], n)) for layout in BUILTIN_LAYOUTS}
    best = max(counts.values(), default=0)
    if best == 0:
        raise LayoutError(
            f"no built-in layout matches any of {len(names)} file names (e.g. {names[:1]}); "
            "name the layout and a 'pattern' in plate.yaml"
        )
    winners = [layout for layout, c in counts.items() if c == best]
    if len(winners) > 1:
        raise LayoutError(f"layouts {winners} match equally many file names; name one in plate.yaml")
    return winners[0]
