"""Helpers shared by the seed-layout interpreters: amounts, ids, the table preamble, grid rows.

Every error is a :class:`~indexer.errors.ParseError` carrying the
:class:`~indexer.position.Position` it is about (sheet/page, row/line, cell).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal, InvalidOperation

from indexer.districts import UnknownDistrictError, district_of
from indexer.errors import ParseError
from indexer.layouts.base import LayoutScore
from indexer.readers.base import Document, Position, Sheet
from indexer.records import MAX_AMOUNT, Amounts, SourceTable
from indexer.text import canonical, strip_html

AMOUNT_COLUMNS: dict[str, str] = {
    "总计": "total",
    "财政拨款": "fiscal",
    "财政专户拨款": "special_account",
    "其他资金": "other",
}
"""Header label → :class:`~indexer.records.Amounts` field."""

AMOUNT_RE = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)\.\d{1,4}")
NOT_A_NUMBER = re.compile(
    r"[-+]?(?:nan|inf(?:inity)?|#(?:num|value|div/0|ref|n/a|name[?？]|null)[!！]?)", re.IGNORECASE
)
"""A float's NaN/infinity spellings and Excel's error values: what a cell holds instead of a number."""
HEADER_SCAN_ROWS = 200
"""A table's header is looked for in this many first rows (or lines) of a sheet."""
_DEPARTMENT = re.compile(r"部门(?:名称)?\s*[:：]\s*(\S+?)(?=\s|单位\s*[:：]|$)")
_UNIT = re.compile(r"单位\s*[:：]\s*(\S+)")
_INDICATOR_LIST = re.compile(r"\d、\s*(?:[1-4]\s*-\s*)?(?:产出|效益|满意度|成本)")
CUT_SHORT_WARNING = "no line break at the end of the file"
"""How the text reader's warning about a missing final line break begins."""


def fail(where: Position, message: str) -> ParseError:
    """A ParseError about ``where`` (its line, when it has one, is the error's line)."""
    return ParseError(where.file, where.line, message, position=where)


def line_number(where: Position) -> int:
    """The 1-based line (text) or row (grid) a position names, for ``source_line``/``Subtotal.line``."""
    return where.line or where.row or 0


def parse_amount(cell: str, where: Position) -> Decimal | None:
    """An amount cell in 万元 (``1,338.00``); None when blank."""
    text = canonical(cell).replace(" ", "")
    if not text:
        return None
    if NOT_A_NUMBER.fullmatch(text):
        raise fail(where, f"amount is not a number: {cell.strip()!r} (expected 万元 such as 1,338.00)")
    if not re.fullmatch(r"-?[\d,]*\.?\d+", text):
        raise fail(where, f"not an amount: {cell.strip()!r}")
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise fail(where, f"not an amount: {cell.strip()!r}") from None
    check_amount(value, cell, where)
    return value


def check_amount(value: Decimal, cell: str, where: Position) -> None:
    """Refuse an amount past :data:`~indexer.records.MAX_AMOUNT` (万元), naming the cell."""
    if abs(value) > MAX_AMOUNT:
        shown = cell.strip() if len(cell.strip()) <= 40 else cell.strip()[:40] + "…"
        raise fail(where, f"amount {shown!r} is out of range: more than {MAX_AMOUNT:,} 万元")


def amounts_from(values: dict[str, Decimal | None]) -> Amounts:
    """Build :class:`Amounts` from ``{field: value}``."""
    return Amounts(**values)


def project_id(file_name: str, sha256: str, seq: int, name: str) -> str:
    """Stable project id: same file content, position and name → same id on
    every run and machine (12 hex digits of a sha1)."""
    key = "\x1f".join((file_name, sha256, str(seq), name))
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def find_department(lines: Sequence[str], where: Position) -> str:
    """The ``部门名称：…`` of the preamble (the lines before the header)."""
    for raw in lines:
        m = _DEPARTMENT.search(raw.strip())
        if m:
            return canonical(m.group(1))
    raise fail(where, "no 部门名称 (department) line before the table header")


def check_money_unit(lines: Sequence[str], where: Position) -> None:
    """Refuse tables whose declared 单位 is not 万元 (amounts would be misread)."""
    for raw in lines:
        for m in _UNIT.finditer(raw):
            unit = canonical(m.group(1))
            # "预算单位：…" names a budget unit, not a currency unit.
            if unit.endswith("元") and unit != "万元":
                raise fail(where, f"amounts are in {unit!r}; only 万元 is supported")


def district_for(department: str, where: Position) -> str:
    """:func:`~indexer.districts.district_of`, failing as a ParseError that names the place."""
    try:
        return district_of(department)
    except UnknownDistrictError as exc:
        raise fail(where, str(exc)) from None


def check_grand_total(table: SourceTable, where: Position | None) -> None:
    """Refuse a table whose projects do not add up to its 合计 (总计 column):
    rows were lost (a file cut between two rows) or misread. Each row is
    rounded to 0.01 万元, so the tolerance grows with the number of rows."""
    total = table.grand_total
    if total is None or total.amounts.total is None:
        return
    got = sum((p.amounts.total or Decimal(0) for p in table.projects), Decimal(0))
    tolerance = max(Decimal("0.01"), Decimal("0.005") * len(table.projects))
    if abs(got - total.amounts.total) > tolerance:
        raise fail(
            where or Position(table.file_name),
            f"the {len(table.projects)} projects add up to {got} 万元 but 合计 says {total.amounts.total} "
            "(rows lost or misread: truncated file?)",
        )


def check_not_cut(document: Document, sheet: Sheet, *, text_layout: bool) -> None:
    """Refuse a text file cut in the middle of a row: no final line break, and a
    last line that does not end with 。 while it holds indicators (``1、1-产出…``,
    ``…指标值:``) or belongs to a text-layout table (whose rows always end with a
    line break)."""
    if document.format != "txt" or not sheet.lines:
        return
    if not any(w.message.startswith(CUT_SHORT_WARNING) for w in document.warnings):
        return
    last = strip_html(sheet.lines[-1]).strip()
    if not last or last.endswith("。"):
        return
    if text_layout or "指标值" in last or _INDICATOR_LIST.search(last):
        raise fail(
            document.position(sheet, len(sheet.lines) - 1),
            "the file ends in the middle of a row (no final 。 and no final line break): truncated?",
        )


def grid_sheets(document: Document) -> list[Sheet]:
    """The sheets that hold a grid of cells (worksheets, tables, tab-separated text)."""
    return [s for s in document.sheets if s.kind in ("sheet", "table", "text") and s.n_cols > 0]


def find_header(sheet: Sheet, is_header: Callable[[Sequence[str]], bool]) -> int | None:
    """The 0-based row of the first header row (``is_header(cells)``) among the first rows."""
    for r, row in enumerate(sheet.rows[:HEADER_SCAN_ROWS]):
        if is_header(row):
            return r
    return None


def header_row_score(
    document: Document, layout: str, is_header: Callable[[Sequence[str]], bool], header: str, wanted: str
) -> LayoutScore:
    """1 when a grid sheet of ``document`` has a header row, naming ``header`` and where it is;
    else 0, naming the ``wanted`` header."""
    for sheet in grid_sheets(document):
        row = find_header(sheet, is_header)
        if row is not None:
            return LayoutScore(layout, 1.0, f"header row {header} at {document.position(sheet, row)}")
    return LayoutScore(layout, 0.0, f"no header row {wanted}")


def preamble_lines(sheet: Sheet, header_row: int) -> list[str]:
    """The text above a grid's header: the document's lines before the table, then the
    non-empty cells of each row above the header (a worksheet's title, 部门名称 and 单位 rows)."""
    lines = list(sheet.preamble)
    for r in range(header_row):
        cells = [c.strip() for c in dict.fromkeys(sheet.rows[r]) if c.strip()]
        if cells:
            lines.append(" ".join(cells))
    return lines


def table_rows(sheet: Sheet, start: int) -> Iterator[tuple[int, list[str]]]:
    """``(row, cells)`` from ``start`` on, with each row a PDF page break split joined again:
    the first row of a page continues the row above when its first cell is empty."""
    pending: tuple[int, list[str]] | None = None
    pages = sheet.row_pages
    for r in range(start, sheet.n_rows):
        cells = list(sheet.rows[r])
        if pending is not None and pages is not None and pages[r] != pages[r - 1] and not cells[0].strip():
            pending = (pending[0], [a + b for a, b in zip(pending[1], cells, strict=True)])
            continue
        if pending is not None:
            yield pending
        pending = (r, cells)
    if pending is not None:
        yield pending


def pads_rows(sheet: Sheet) -> bool:
    """True when a tab-separated sheet writes out the trailing empty cells of its rows (the
    seed exports do; Excel's "Unicode text" strips them): only then is a short row cut short."""
    return sheet.kind == "text" and any(line.endswith("\t") for line in sheet.lines or ())


def check_tab_width(document: Document, sheet: Sheet, row: int, n_cols: int, *, padded: bool) -> None:
    """A tab-separated line with more cells than the header, or fewer in a ``padded`` sheet, was cut."""
    if sheet.kind != "text" or sheet.lines is None:
        return
    cells = sheet.lines[row].split("\t")
    while len(cells) > n_cols and not cells[-1].strip():
        cells.pop()
    if len(cells) > n_cols or (padded and len(cells) < n_cols):
        found = f"row has {len(cells)} of the header's {n_cols} tab-separated cells (truncated row?)"
        raise fail(document.position(sheet, row), found)
