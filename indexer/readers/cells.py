"""Spreadsheet cell values as the text a person sees (.xlsx and .xls), and what both readers say
about hidden worksheets.

Amounts in budget workbooks are numbers with a format such as ``#,##0.00``;
a reviewer reads ``1,338.00``. The common fixed formats (``0``, ``0.00``,
``#,##0.00``, ``0%``, ``0.00%``) are applied; any other format gives the
shortest decimal that round-trips (``1338.5``), never a float artefact
(``0.30000000000000004``) nor an exponent. Dates give ISO text.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal

from indexer.errors import ParseError
from indexer.position import Position

HIDDEN_SHEET_WARNING = "hidden worksheet not read (unhide it in Excel or WPS to have it read)"
"""A workbook's hidden sheets (helper tables, old versions, lookup lists) are not what it shows a
reader, so they are skipped, each named by this warning (.xlsx and .xls alike)."""


def only_hidden(file_name: str, hidden: list[str]) -> ParseError:
    """The refusal of a workbook whose only worksheets with text are hidden."""
    names = "、".join(hidden)
    return ParseError(
        file_name,
        None,
        f"every worksheet with text is hidden ({names}); hidden worksheets are not read: unhide the "
        "table's worksheet and save the file again",
        position=Position(file_name),
    )

_BRACKETS = re.compile(r"\[[^\]]*\]")  # colours, conditions, locale tags: [Red] [$-804]
_PADDING = re.compile(r"_.|\*.|\\|\"[^\"]*\"")  # alignment padding, escapes, quoted literals
_FIXED = re.compile(r"(?P<sep>#,##)?0(?:\.(?P<dec>0+))?(?P<pct>%)?")


def _fixed_format(number_format: str) -> tuple[int, bool, bool] | None:
    """``(decimals, thousands separator, percent)`` of a plain fixed format, else None."""
    section = number_format.split(";", 1)[0]
    section = _PADDING.sub("", _BRACKETS.sub("", section)).strip()
    m = _FIXED.fullmatch(section)
    if m is None:
        return None
    return len(m.group("dec") or ""), m.group("sep") is not None, m.group("pct") is not None


def _shortest(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def number_text(value: float | int, number_format: str | None) -> str:
    """A numeric cell as displayed under its number format (see module docstring).

    A NaN or infinite value (a hostile file, or an overflowing literal such as ``1e999``)
    is shown as ``NaN`` / ``Infinity`` / ``-Infinity``: no format applies to it, and the
    layouts refuse it where a number is expected, naming the cell."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    number = Decimal(f"{value:.15g}") if isinstance(value, float) else Decimal(value)
    fixed = _fixed_format(number_format or "General")
    if fixed is None:
        return _shortest(number)
    decimals, thousands, percent = fixed
    if percent:
        number *= 100
    rounded = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{rounded:,f}" if thousands else f"{rounded:f}"
    return text + ("%" if percent else "")


def datetime_text(value: dt.datetime | dt.date | dt.time) -> str:
    """ISO text of a date cell; a date at midnight is shown as the date alone."""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    return value.isoformat()


def value_text(value: object, number_format: str | None = None) -> str:
    """Any cell value of a workbook library as text (None is an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int) and number_format in (None, "General"):
        return str(value)
    if isinstance(value, int | float):
        return number_text(value, number_format)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return datetime_text(value)
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n")
