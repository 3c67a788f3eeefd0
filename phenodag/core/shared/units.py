"""How quantities read in figures, captions and contact sheets: hours as people say them."""

from __future__ import annotations


def hours_label(hours: float) -> str:
    """Say a time in hours the way a screen's reader does: ``6.5 h``, ``28.9 h``, ``3 d 04 h``.

    Below two days: hours with at most one decimal (``0 h``, ``12 h``, ``28.9 h``); from
    two days on: days and whole hours (``4 d 20 h``). Never four decimals.
    """
    if abs(hours) < 48:
        text = f"{hours:.1f}".rstrip("0").rstrip(".")
        return f"{'0' if text in ('-0', '') else text} h"
    sign = "-" if hours < 0 else ""
    whole = round(abs(hours))
    return f"{sign}{whole // 24} d {whole % 24:02d} h"
