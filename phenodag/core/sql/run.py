"""dbt-like SQL models: SQL files over lake tables, run with polars SQL.

A model is one ``.sql`` file; its name is the file stem and becomes its table and
asset name. ``{{ source('raw_images') }}`` names a table written by a Python asset,
``{{ ref('plate_summary') }}`` one written by another model; both render to the plain
table name and give the model its dependencies (and so its lineage). Leading ``--``
comment lines become the description. Nothing else of Jinja is supported, on purpose:
any other ``{{ ... }}`` is an error naming the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

__all__ = ["SqlModel", "SqlModelError", "load_models", "parse_model", "run_model"]

_CALL = re.compile(r"\{\{\s*(?P<fn>ref|source)\(\s*['\"](?P<name>[A-Za-z_][A-Za-z0-9_]*)['\"]\s*\)\s*\}\}")
_ANY_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_PARSER_LINE = re.compile(r"at Line: (\d+), Column: (\d+)")
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")


class SqlModelError(ValueError):
    """A SQL model is broken (the message starts with ``file:line:``), or its folder is missing (named)."""


@dataclass(frozen=True)
class TableRef:
    """One ``ref``/``source`` call: which table, and on which line of the file."""

    kind: str
    name: str
    line: int


@dataclass(frozen=True)
class SqlModel:
    """A parsed SQL model file."""

    name: str
    path: Path
    text: str
    refs: tuple[TableRef, ...]
    description: str

    @property
    def dependencies(self) -> list[str]:
        """Names of the tables the model reads, in order of first mention."""
        return list(dict.fromkeys(r.name for r in self.refs))

    def where(self, line: int) -> str:
        """Return ``path:line`` for messages."""
        return f"{self.path}:{line}"


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def parse_model(path: Path) -> SqlModel:
    """Read one SQL model file.

    Raises
    ------
    SqlModelError
        If the file name is not a valid table name, or a ``{{ ... }}`` is neither
        ``ref('x')`` nor ``source('x')``.
    """
    text = path.read_text()
    name = path.stem
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise SqlModelError(f"{path}:1: model name {name!r} must be letters, digits and underscores")
    refs = []
    for m in _ANY_TEMPLATE.finditer(text):
        call = _CALL.fullmatch(m.group(0))
        if call is None:
            raise SqlModelError(
                f"{path}:{_line_of(text, m.start())}: unsupported template {m.group(0)!r}; "
                "use {{ ref('table') }} or {{ source('table') }}"
            )
        refs.append(TableRef(call["fn"], call["name"], _line_of(text, m.start())))
    description = "\n".join(
        line.strip()[2:].strip()
        for line in text.splitlines()[: _first_code_line(text)]
        if line.strip().startswith("--")
    )
    return SqlModel(name=name, path=path, text=text, refs=tuple(refs), description=description)


def _first_code_line(text: str) -> int:
    for i, line in enumerate(text.splitlines()):
        if line.strip() and not line.strip().startswith("--"):
            return i
    return len(text.splitlines())


def load_models(folder: Path) -> list[SqlModel]:
    """Parse every ``*.sql`` file of ``folder``, sorted by name (none if it is absent)."""
    if not folder.is_dir():
        return []
    return [parse_model(p) for p in sorted(folder.glob("*.sql"))]


def render(model: SqlModel) -> str:
    """Replace each ``ref``/``source`` call by its table name, keeping line numbers."""
    return _CALL.sub(lambda m: m["name"], model.text)


def check_refs(model: SqlModel, known: set[str]) -> None:
    """Raise :class:`SqlModelError` at the first ``ref``/``source`` naming no known table."""
    for ref in model.refs:
        if ref.name not in known:
            raise SqlModelError(
                f"{model.where(ref.line)}: {ref.kind}('{ref.name}') names no known table; known: {sorted(known)}"
            )


def _error_line(model: SqlModel, message: str) -> int:
    m = _PARSER_LINE.search(message)
    if m:
        return int(m.group(1))
    for token in _QUOTED.findall(message):
        for i, line in enumerate(model.text.splitlines(), start=1):
            if re.search(rf"\b{re.escape(token)}\b", line) and not line.strip().startswith("--"):
                return i
    return 1


def run_model(model: SqlModel, tables: Mapping[str, pl.LazyFrame]) -> pl.DataFrame:
    """Execute a model over the given tables with polars SQL.

    Parameters
    ----------
    model
        The parsed model.
    tables
        Table name → lazy frame, holding at least every table the model reads.

    Returns
    -------
    polars.DataFrame
        The model's result.

    Raises
    ------
    SqlModelError
        If a reference is missing from ``tables`` or polars rejects the SQL; the
        message names the file and the line (the parser's line, or the first line
        mentioning the offending name).
    """
    check_refs(model, set(tables))
    ctx = pl.SQLContext(frames={name: tables[name] for name in model.dependencies})
    try:
        return ctx.execute(render(model), eager=True)
    except Exception as exc:
        message = str(exc).split("\n\n")[0]
        raise SqlModelError(f"{model.where(_error_line(model, message))}: {message}") from exc
