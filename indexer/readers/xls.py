"""Excel 97–2003 workbooks (.xls) through xlrd.

xlrd reads the BIFF records; ``formatting_info=True`` gives the merged ranges
and the number formats, ``ragged_rows=True`` keeps a stray far-away cell from
padding every row, ``on_demand=True`` loads one sheet at a time so the cell
limit is checked between sheets. A formula gives the result the file stores
(xlrd never evaluates). Hidden worksheets are not read, as in .xlsx. Encrypted
files (RC4 / "Workbook is encrypted") are refused as password-protected.
"""

from __future__ import annotations

import hashlib
import io

import xlrd
from xlrd.biffh import (
    XL_CELL_BLANK,
    XL_CELL_BOOLEAN,
    XL_CELL_DATE,
    XL_CELL_EMPTY,
    XL_CELL_ERROR,
    XL_CELL_NUMBER,
    error_text_from_code,
)

from indexer.errors import LimitExceededError, ParseError
from indexer.readers.base import (
    Deadline,
    Document,
    Position,
    ReadLimits,
    ReadWarning,
    Sheet,
    check_cells,
    check_size,
    library_reason,
)
from indexer.readers.cells import HIDDEN_SHEET_WARNING, datetime_text, number_text, only_hidden
from indexer.readers.grid import clean_text, grid_from_values
from indexer.readers.ole import ole_kind


def _cell_text(book: xlrd.book.Book, sheet: xlrd.sheet.Sheet, row: int, col: int) -> str:
    ctype = sheet.cell_type(row, col)
    value = sheet.cell_value(row, col)
    if ctype in (XL_CELL_EMPTY, XL_CELL_BLANK):
        return ""
    if ctype == XL_CELL_NUMBER:
        xf = book.xf_list[sheet.cell_xf_index(row, col)]
        fmt = book.format_map.get(xf.format_key)
        return number_text(value, fmt.format_str if fmt is not None else None)
    if ctype == XL_CELL_DATE:
        try:
            return datetime_text(xlrd.xldate_as_datetime(value, book.datemode))
        except (ValueError, OverflowError, xlrd.XLDateError):
            return number_text(value, None)
    if ctype == XL_CELL_BOOLEAN:
        return "TRUE" if value else "FALSE"
    if ctype == XL_CELL_ERROR:
        return error_text_from_code.get(value, "#ERROR")
    return clean_text(str(value))


def _refusal(file_name: str, exc: BaseException) -> ParseError:
    reason = library_reason(exc)
    if "encrypted" in reason.lower():
        return ParseError(
            file_name, None, "password-protected .xls workbook: remove the password (save it unprotected)"
        )
    return ParseError(file_name, None, f"damaged or truncated .xls workbook, xlrd cannot read it: {reason}")


class XlsReader:
    """Reader of legacy BIFF workbooks."""

    formats = ("xls",)

    def sniff(self, data: bytes, file_name: str) -> bool:
        """An OLE compound file holding a ``Workbook`` (or ``Book``) stream."""
        return ole_kind(data) == "xls"

    def read(self, data: bytes, file_name: str, limits: ReadLimits) -> Document:
        """Every worksheet as a sheet; see the module docstring."""
        check_size(data, file_name, limits)
        deadline = Deadline(file_name, limits.timeout_seconds)
        try:
            book = xlrd.open_workbook(
                file_contents=data,
                formatting_info=True,
                on_demand=True,
                ragged_rows=True,
                logfile=io.StringIO(),
            )
        except Exception as exc:  # xlrd raises many kinds on broken BIFF
            raise _refusal(file_name, exc) from None
        if book.nsheets > limits.max_sheets:
            raise LimitExceededError(
                file_name, None, f"{book.nsheets:,} worksheets, more than the limit of {limits.max_sheets:,}"
            )
        sheets: list[Sheet] = []
        notes: list[ReadWarning] = []
        hidden: list[str] = []
        budget = limits.max_cells
        try:
            for index in range(book.nsheets):
                name = book.sheet_names()[index]
                position = Position(file_name, sheet=name)
                deadline.check(position)
                try:
                    xsheet = book.sheet_by_index(index)
                except Exception as exc:  # a damaged sheet stream
                    raise ParseError(
                        file_name, None, f"damaged worksheet, xlrd cannot read it: {exc}", position=position
                    ) from None
                if xsheet.visibility:  # 1 hidden, 2 very hidden
                    book.unload_sheet(index)
                    if xsheet.nrows:
                        hidden.append(name)
                        notes.append(ReadWarning(position, HIDDEN_SHEET_WARNING))
                    continue
                width = max((xsheet.row_len(r) for r in range(xsheet.nrows)), default=0)
                area = xsheet.nrows * width
                if area > budget:
                    raise LimitExceededError(
                        file_name,
                        None,
                        f"the used range ({xsheet.nrows:,} rows × {width:,} columns) is more than the limit "
                        f"of {limits.max_cells:,} cells",
                        position=position,
                    )
                budget -= area
                values = [
                    [_cell_text(book, xsheet, r, c) for c in range(xsheet.row_len(r))]
                    for r in range(xsheet.nrows)
                ]
                merges = [(rlo, clo, rhi - 1, chi - 1) for rlo, rhi, clo, chi in xsheet.merged_cells]
                # A merged range may reach past the used range (65,536 rows from one cell).
                rows, merges = grid_from_values(
                    values,
                    merges,
                    check_area=lambda grid, position=position: check_cells(
                        grid, limits, position, "cells in the merged ranges' grid"
                    ),
                )
                book.unload_sheet(index)
                if not rows:
                    notes.append(ReadWarning(position, "empty worksheet (no cell with text)"))
                    continue
                sheets.append(
                    Sheet(name=name, kind="sheet", index=index + 1, rows=rows, merges=tuple(merges))
                )
        finally:
            book.release_resources()
        if not sheets:
            if hidden:
                raise only_hidden(file_name, hidden)
            raise ParseError(file_name, None, "empty workbook: no worksheet has a cell with text")
        return Document(
            file_name=file_name,
            sha256=hashlib.sha256(data).hexdigest(),
            format="xls",
            sheets=tuple(sheets),
            warnings=tuple(notes),
        )
