"""Workbooks whose sheets hold different layouts (a Guangzhou sheet beside a national form …).

The interpreter that scores the whole document best reads the sheets it recognises; every other
worksheet or table with text in it is then read on its own, by the interpreter that scores that
sheet best, and the tables are merged in sheet order. A sheet no interpreter reads (or whose
reading fails) is not dropped silently: it becomes a warning naming the file, the sheet and,
where known, the cell. PDF page text layers and the body text of Word/HTML files are not read
per sheet: they hold what is printed around the tables (titles, notes), read as their preambles.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import replace

from indexer.readers.base import Document, Sheet
from indexer.records import SourceTable, Subtotal

__all__ = ["leftover_sheets", "merge_tables", "sheet_document", "sheets_of"]

_PER_SHEET_KINDS = ("sheet", "table")


def sheets_of(table: SourceTable) -> set[str]:
    """The names of the sheets the table's projects and indicators were read from."""
    names: set[str] = set()
    for project in table.projects:
        origins = [project.origin, *(i.origin for i in project.indicators)]
        names.update(o.sheet for o in origins if o is not None and o.sheet is not None)
    return names


def _has_text(sheet: Sheet) -> bool:
    return any(cell.strip() for row in sheet.rows for cell in row)


def leftover_sheets(document: Document, tables: Iterable[SourceTable]) -> list[Sheet]:
    """The worksheets and tables with text that none of the tables was read from, in order."""
    if sum(s.kind in _PER_SHEET_KINDS for s in document.sheets) < 2:
        return []
    used = set().union(*(sheets_of(t) for t in tables))
    return [s for s in document.sheets if s.kind in _PER_SHEET_KINDS and s.name not in used and _has_text(s)]


def sheet_document(document: Document, sheet: Sheet) -> Document:
    """The document holding only ``sheet``, for reading it with a layout of its own.

    Its positions still name the file and the sheet; its projects' ids are derived from the
    file's content and the sheet's name, so they never collide with the other sheets' ids."""
    key = f"{document.sha256}\x1f{sheet.name}".encode()
    return Document(document.file_name, hashlib.sha256(key).hexdigest(), document.format, (sheet,))


def _first_sheet(document: Document, table: SourceTable) -> int:
    used = sheets_of(table)
    return min((k for k, s in enumerate(document.sheets) if s.name in used), default=len(document.sheets))


def _labelled_total(table: SourceTable, sheet_order: dict[str, int]) -> Subtotal | None:
    """The table's 合计 labelled with the sheets it sums over (``合计（表2）``)."""
    if table.grand_total is None:
        return None
    names = sorted(sheets_of(table), key=lambda n: sheet_order.get(n, 0))
    return replace(table.grand_total, label=f"合计（{'、'.join(names)}）") if names else table.grand_total


def merge_tables(document: Document, tables: list[SourceTable]) -> SourceTable:
    """The tables read from different sheets of one document as its one table, in sheet order.

    Each table's 合计 is kept as a subtotal labelled with its sheets (still checked against its own
    projects); the layout, department and district name every part (``、``-joined)."""
    if len(tables) == 1:
        return tables[0]
    ordered = sorted(tables, key=lambda t: _first_sheet(document, t))
    order = {s.name: k for k, s in enumerate(document.sheets)}
    totals = [t for t in (_labelled_total(table, order) for table in ordered) if t is not None]
    return SourceTable(
        file_name=document.file_name,
        sha256=document.sha256,
        layout="+".join(dict.fromkeys(t.layout for t in ordered)),
        department="、".join(dict.fromkeys(t.department for t in ordered if t.department)),
        district="、".join(dict.fromkeys(t.district for t in ordered if t.district)),
        projects=tuple(p for t in ordered for p in t.projects),
        grand_total=None,
        unit_subtotals=(*totals, *(u for t in ordered for u in t.unit_subtotals)),
    )
