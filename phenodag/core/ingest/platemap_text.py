"""Plate maps as labs write them: any delimiter, BOM and line ending, headers by alias, units, decimal commas.

What a spreadsheet or an instrument exports for the same plate map differs in ways
that carry no meaning, and all of them are read here into one table of text cells with
phenodag's column names, which :func:`phenodag.core.ingest.platemap.read_platemap`
then checks:

- **Encoding and lines**: UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8"),
  else Windows-1252 (Excel's plain "CSV" on Windows); LF, CRLF or CR line endings.
- **Delimiter**: sniffed among ``,`` ``;`` tab and ``|`` from the header line (the
  delimiter that splits it into the most known columns; European Excel writes ``;``).
- **Headers**: matched case-, space- and underscore-insensitively against
  :data:`HEADER_ALIASES` (``Cell Line``, ``conc``, ``dose``, ``Concentration (uM)``...);
  a unit in brackets or after the name (``Concentration [nM]``, ``dose_um``) is the
  column's unit. Unknown columns are kept under their own (normalised) names.
- **Concentrations**: a number with an optional unit (``10 µM``, ``500nM``, ``0.5 mM``,
  ``1e-6 M``) becomes µM; a value without a unit takes the header's, and a header
  without one means µM. A decimal comma (``0,5``) is read where the delimiter is not a
  comma. A value that is none of these is refused with the file, line, column, value
  and what was expected, in words.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import polars as pl

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "well": ("well", "well id", "wellid", "well name", "well position", "position"),
    "cell_line": ("cell line", "cellline", "cell type", "cell", "line", "cell line name"),
    "compound": ("compound", "compound name", "compound id", "drug", "drug name", "treatment", "agent", "perturbation"),
    "concentration_um": ("concentration", "conc", "dose", "concentration um", "dose um", "conc um"),
    "replicate": ("replicate", "rep", "replicate id", "biological replicate", "plate replicate"),
    "is_control": ("is control", "control", "is ctrl", "ctrl"),
    "treatment_time": ("treatment time", "treated at", "treatment"),
    "time_h": ("time h", "time", "hours", "timepoint h", "time point h"),
}
"""phenodag's plate-map columns and the header names (normalised: lower case, single spaces) that mean them."""

UNITS_TO_UM = {"pm": 1e-6, "nm": 1e-3, "um": 1.0, "mm": 1e3, "m": 1e6}
"""Molar units (``µ``, ``μ`` and ``u`` alike) and their factor to µM."""

DELIMITERS = (",", ";", "\t", "|")
_UNIT = r"(?P<unit>[pnuµμm]?m)"
_HEADER_UNIT = re.compile(rf"^(?P<name>.*?)[\s_]*(?:[\(\[]\s*{_UNIT}\s*[\)\]]|[\s_]+{_UNIT.replace('unit', 'unit2')})$")
_VALUE = re.compile(rf"^(?P<number>[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:e[-+]?\d+)?)\s*(?:{_UNIT})?$")


WHERE = "_where"
"""Column of :func:`read_platemap_text`'s frame: where each row came from (``line 5``; ``well B02`` of a grid)."""


class PlatemapTextError(ValueError):
    """A plate map cell or file that cannot be read; the message names where and what was expected."""


PLATEMAP_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
"""Suffixes a plate map may carry in place of the one plate.yaml names (``platemap.xlsx`` for ``platemap.csv``)."""


def find_platemap(folder: Path, name: str) -> Path | None:
    """Return the plate map ``name`` in ``folder``; None if absent.

    The name is matched case-insensitively (``PlateMap.CSV``); without such a file, a
    file of the same stem with another plate-map suffix is taken (``PlateMap.xlsx`` for
    the default ``platemap.csv``), text before workbook.
    """
    exact = folder / name
    if exact.exists():
        return exact
    if not folder.is_dir():
        return None
    files = {p.name.lower(): p for p in sorted(folder.iterdir()) if p.is_file()}
    stem = Path(name).stem.lower()
    for wanted in (name.lower(), *(stem + suffix for suffix in PLATEMAP_SUFFIXES)):
        if wanted in files:
            return files[wanted]
    return None


def decode(raw: bytes) -> str:
    """Decode a text export: UTF-8 (a BOM dropped), else Windows-1252, else Latin-1 (which reads any byte)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _normal(header: str) -> str:
    return " ".join(header.replace("_", " ").replace("-", " ").lower().split())


def split_header(header: str) -> tuple[str, str | None]:
    """Return (phenodag column or the normalised header, unit or None): ``Conc (nM)`` → (concentration_um, nm)."""
    text = _normal(header).replace("µ", "u").replace("μ", "u")
    unit = None
    match = _HEADER_UNIT.match(text)
    if match and (match.group("unit") or match.group("unit2")):
        unit = match.group("unit") or match.group("unit2")
        text = match.group("name").strip()
    for column, aliases in HEADER_ALIASES.items():
        if text in aliases or text == _normal(column):
            return column, unit
    return text.replace(" ", "_"), unit


def sniff_delimiter(header_line: str) -> str:
    """Return the delimiter that splits the header into the most known plate-map columns (ties: most fields)."""

    def score(d: str) -> tuple[int, int]:
        fields = next(csv.reader([header_line], delimiter=d))
        known = sum(split_header(f)[0] in HEADER_ALIASES for f in fields)
        return known, len(fields)

    return max(DELIMITERS, key=score)


def to_um(value: str, unit: str | None, decimal_comma: bool) -> float:
    """Read one concentration cell into µM; raise :class:`ValueError` with what was expected."""
    text = value.strip().lower().replace("µ", "u").replace("μ", "u").replace(" ", "")
    match = _VALUE.match(text)
    if match is None:
        raise ValueError("expected a number with an optional unit (pM, nM, µM or uM, mM, M), e.g. 10, 10 µM, 500nM")
    number = match.group("number")
    if "," in number:
        if not decimal_comma:
            raise ValueError("a decimal comma in a comma-delimited file; write 0.5, or use ';' as the delimiter")
        number = number.replace(",", ".")
    own = match.group("unit")
    return float(number) * UNITS_TO_UM[own or unit or "um"]


ROW_LETTERS = "ABCDEFGHIJKLMNOP"
"""Row labels of grid-form maps: 96-well (A-H) and 384-well (A-P) plates."""


def _is_grid_header(row: list[str]) -> bool:
    numbers = [c.strip() for c in row[1:]]
    while numbers and not numbers[-1]:
        numbers.pop()
    return len(numbers) >= 2 and numbers == [str(i) for i in range(1, len(numbers) + 1)]


def _from_grid(rows: list[list[str]], name: str) -> tuple[list[str], list[list[str]], list[str]]:
    """Turn grid blocks (a corner cell naming the variable, columns 1..N, rows A..P) into one row per well."""
    variables: list[str] = []
    values: dict[str, dict[str, str]] = {}
    columns: list[str] = []
    variable = None
    for line, row in enumerate(rows, start=1):
        if not any(c.strip() for c in row):
            continue
        if _is_grid_header(row):
            variable = row[0].strip()
            if not variable:
                raise PlatemapTextError(
                    f"{name} line {line}: a grid block needs the variable's name in its corner cell"
                )
            variables.append(variable)
            columns = [c.strip() for c in row[1:]]
            continue
        label = row[0].strip().upper()
        if variable is None or len(label) != 1 or label not in ROW_LETTERS:
            raise PlatemapTextError(
                f"{name} line {line}: expected a row letter A-P under a grid block's header, found {row[0]!r}"
            )
        for column, cell in zip(columns, row[1:], strict=False):
            if column and cell.strip():
                values.setdefault(f"{label}{int(column):02d}", {})[variable] = cell.strip()
    header = ["well", *variables]
    wells = sorted(values, key=lambda w: (ROW_LETTERS.index(w[0]), int(w[1:])))
    body = [[w, *(values[w].get(v, "") for v in variables)] for w in wells]
    return header, body, [f"well {w}" for w in wells]


SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm")
"""Workbooks read with openpyxl (first sheet, cell values as shown); every other file is read as delimited text."""


def _text_rows(path: Path) -> tuple[list[list[str]], bool]:
    """Return a delimited text file's cells, and whether a decimal comma may appear (the delimiter is not a comma)."""
    text = decode(path.read_bytes())
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        raise PlatemapTextError(f"{path.name}: empty")
    delimiter = sniff_delimiter(first)
    return list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)), delimiter != ","


def _cell_text(value: object) -> str:
    """Return a workbook cell as text: whole numbers without ``.0``, empty cells empty."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _workbook_rows(path: Path) -> list[list[str]]:
    """Return the cells of a workbook's first sheet as text (openpyxl, read-only, the values Excel last computed)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise PlatemapTextError(f"{path.name}: not a readable .xlsx workbook ({type(exc).__name__})") from None
    try:
        sheet = book.worksheets[0]
        return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def read_platemap_text(path: Path) -> pl.DataFrame:
    """Read a plate map, list or grid form, text or workbook, into text cells under phenodag's column names (µM).

    List form: a header line and one line per well. Grid form (plate readers, most lab
    spreadsheets): one block per variable, its name in the corner cell, columns 1-12 or
    1-24, rows A-H or A-P, blocks one after another (blank lines between are allowed); a
    well empty in every block is no well. A ``.xlsx`` workbook's first sheet is read the
    same way (its lines are the sheet's rows; a decimal comma in a text cell is read).

    Raises
    ------
    PlatemapTextError
        An empty file, two columns meaning the same thing, a grid line that is not a row of
        a block, or a concentration that is not a number with a unit; the message names the
        file, the line (or well) and the column.
    """
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        rows, decimal_comma = _workbook_rows(path), True
    else:
        rows, decimal_comma = _text_rows(path)
    start = next((i for i, r in enumerate(rows) if any(c.strip() for c in r)), None)
    if start is None:
        raise PlatemapTextError(f"{path.name}: empty")
    if _is_grid_header(rows[start]):
        header, body, where = _from_grid(rows, path.name)
    else:
        header = rows[start]
        kept = [(i, r) for i, r in enumerate(rows[start + 1 :], start=start + 2) if any(c.strip() for c in r)]
        body, where = [r for _, r in kept], [f"line {i}" for i, _ in kept]
    index: dict[str, int] = {}
    units: dict[str, str | None] = {}
    for i, raw in enumerate(header):
        if not raw.strip():  # a spreadsheet's unused column
            continue
        name, unit = split_header(raw)
        if name in index:
            raise PlatemapTextError(
                f"{path.name}: columns {header[index[name]]!r} and {raw!r} both mean {name!r}; keep one"
            )
        index[name], units[name] = i, unit
    cells = {c: [(r[i].strip() if i < len(r) else "") for r in body] for c, i in index.items()}
    if "concentration_um" in cells:
        col = index["concentration_um"]
        converted = []
        for at, value in zip(where, cells["concentration_um"], strict=True):
            if not value:
                converted.append("")
                continue
            try:
                converted.append(repr(to_um(value, units["concentration_um"], decimal_comma)))
            except ValueError as exc:
                raise PlatemapTextError(
                    f"{path.name} {at}, column {header[col]!r}: concentration {value!r}: {exc}"
                ) from None
        cells["concentration_um"] = converted
    cells[WHERE] = where
    return pl.DataFrame({c: pl.Series(c, v, dtype=pl.String) for c, v in cells.items()})
