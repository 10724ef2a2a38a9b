"""Tables → ``.xlsx`` (openpyxl) or ``.csv`` downloads: how reviewers pass work on.

Cells are always written as text or numbers, never as formulas (and control characters,
which XLSX cannot hold, are dropped): a cell that
starts with ``= + - @`` (or a tab / carriage return) is prefixed with ``'`` in CSV and
stored as a string in XLSX, so an exported draft cannot run a formula in the
reader's spreadsheet (CSV injection).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, TYPE_STRING
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMATS: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
_NAME_UNSAFE = str.maketrans({ch: "_" for ch in '"\\/\t\r\n\x85\u2028\u2029\x7f'})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_CHARS = 32_000  # Excel's limit is 32,767 characters per cell
MAX_EXACT_INT = 10**15


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and not math.isfinite(value):
        return ""  # NaN and infinities are no spreadsheet number
    if isinstance(value, int) and abs(value) >= MAX_EXACT_INT:
        return str(value)  # a spreadsheet keeps 15 digits (and openpyxl overflows past a float)
    if isinstance(value, int | float):
        return value
    # Control characters are illegal in XLSX (and useless in CSV): dropped, not a 500.
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))[:MAX_CELL_CHARS]


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """UTF-8 CSV with a BOM (Excel opens it as UTF-8), formula-like cells defused."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_cell(h) for h in headers])
    for row in rows:
        cells = [_cell(v) for v in row]
        writer.writerow(
            [f"'{c}" if isinstance(c, str) and c.startswith(_FORMULA_START) else c for c in cells]
        )
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def to_xlsx(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """One-sheet workbook: bold frozen header row, string cells never read as formulas."""
    workbook = Workbook()
    sheet = workbook.active
    # Sheet names hold neither control characters nor []:*?/\ and at most 31 characters.
    name = ILLEGAL_CHARACTERS_RE.sub("", title or "").translate(str.maketrans("[]:*?/\\", "_______"))
    sheet.title = name.strip().strip("'")[:31] or "sheet"
    sheet.append([_cell(h) for h in headers])
    for row in rows:
        sheet.append([_cell(v) for v in row])
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = TYPE_STRING
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for n, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = min(60, max(10, 2 * len(str(header)) + 4))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download_name(title: str, fmt: str, day: str) -> tuple[str, str]:
    """The download's file name ``title-day.fmt`` without control characters, path separators
    or quotes (a header cannot hold a line break), and its ASCII fallback."""
    clean = ILLEGAL_CHARACTERS_RE.sub("", title).translate(_NAME_UNSAFE).strip() or "jixiao"
    name = f"{clean}-{day}.{fmt}"
    return name, name.encode("ascii", "replace").decode().replace("?", "_")


def export_bytes(fmt: str, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """The table in ``fmt`` (``xlsx`` or ``csv``)."""
    return to_xlsx(title, headers, rows) if fmt == "xlsx" else to_csv(headers, rows)
