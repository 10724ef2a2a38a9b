"""Excel 2007+ workbooks (.xlsx, .xlsm) through openpyxl.

Before openpyxl builds anything the zip container is checked against the size
limits (:mod:`indexer.readers.zipcheck`) and every worksheet's XML is streamed
once with lxml to count its cells and the cells its merged ranges cover
(refusing a huge sheet or a merge over a million cells at the limit, in
bounded memory: openpyxl would make an object of every merged cell) and to
note the formulas that carry no cached value. Then
openpyxl loads the workbook with ``data_only=True``: a formula gives the value
Excel cached when it saved the file and is never evaluated; one without a
cached value reads as empty and is reported as a warning. Merged ranges are
filled with their top-left text and kept; numbers are shown as their format
displays them (:mod:`indexer.readers.cells`). Hidden and very hidden worksheets
are not read (a warning names each; a workbook whose only text is hidden is
refused saying so); chart sheets have no cells and are skipped.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field

from lxml import etree
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
from openpyxl.utils.datetime import from_ISO8601
from openpyxl.worksheet.worksheet import Worksheet

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
    xml_bomb_refusal,
)
from indexer.readers.cells import HIDDEN_SHEET_WARNING, only_hidden, value_text
from indexer.readers.grid import clean_text, grid_from_values
from indexer.readers.zipcheck import open_zip, package_kind

_WORKSHEET_REL = "/worksheet"
_ROW = "{*}row"
_MERGE = "{*}mergeCell"
_FORMULA = "{*}f"
_VALUE = "{*}v"
_NUMBER = re.compile(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*")


@dataclass
class _SheetScan:
    """What streaming a worksheet's XML found."""

    cells: int = 0
    merged: int = 0  # cells covered by merged ranges
    uncached_formulas: list[str] = field(default_factory=list)  # cell references ("C14")
    part: str = ""  # the worksheet's zip member


def _damaged(file_name: str, exc: BaseException, position: Position | None = None) -> ParseError:
    reason = library_reason(exc)
    too_deep = xml_bomb_refusal(file_name, ".xlsx workbook", exc, position)
    if too_deep is not None:
        return too_deep
    return ParseError(
        file_name,
        None,
        f"damaged or truncated .xlsx workbook, openpyxl cannot read it: {reason}",
        position=position,
    )


def _scan_sheet(
    archive: zipfile.ZipFile, part: str, budget: int, position: Position, limits: ReadLimits
) -> _SheetScan:
    """Count a worksheet's cells and merged cells (stopping past ``budget``) and find uncached formulas."""
    scan = _SheetScan()
    with archive.open(part) as src:
        # One Python step per row, not per cell: rows are cleared as they end.
        events = etree.iterparse(
            src, events=("end",), tag=(_ROW, _MERGE), resolve_entities=False, no_network=True, huge_tree=False
        )
        for _, row in events:
            if row.tag.endswith("mergeCell"):
                _count_merge(scan, row.get("ref") or "", budget, position, limits)
            else:
                _count_row(scan, row, budget, position, limits)
            row.clear()
            while row.getprevious() is not None:
                del row.getparent()[0]
    return scan


def _count_row(
    scan: _SheetScan, row: etree._Element, budget: int, position: Position, limits: ReadLimits
) -> None:
    """Add a row's cells to the scan (refusing past the budget) and note its uncached formulas."""
    scan.cells += len(row)
    if scan.cells + scan.merged > budget:
        check_cells(scan.cells + scan.merged + limits.max_cells - budget, limits, position)
    for formula in row.iter(_FORMULA):
        cell = formula.getparent()
        value = cell.find(_VALUE)
        if value is None or value.text is None:
            scan.uncached_formulas.append(cell.get("r") or "?")


def _count_merge(scan: _SheetScan, ref: str, budget: int, position: Position, limits: ReadLimits) -> None:
    """Add a merged range's cells to the scan; refuse the sheet when they pass the budget."""
    try:
        bounds = range_boundaries(ref)
    except (ValueError, TypeError):
        bounds = (None,)
    if None in bounds:
        reason = f"damaged .xlsx workbook: merged range {ref!r} is no cell range"
        raise ParseError(position.file, None, reason, position=position)
    min_col, min_row, max_col, max_row = bounds
    area = (max_col - min_col + 1) * (max_row - min_row + 1)
    scan.merged += area
    if scan.cells + scan.merged > budget:
        raise LimitExceededError(
            position.file,
            None,
            f"the merged range {ref} covers {area:,} cells: with the sheet's other cells more than the limit "
            f"of {limits.max_cells:,}",
            position=position,
        )


def _bad_value(kind: str, text: str) -> str | None:
    """What a typed cell's stored value should be but is not (openpyxl casts it and fails), or None."""
    if kind == "n" and not _NUMBER.fullmatch(text):
        return "a number"
    if kind == "b" and text.strip() not in ("0", "1"):
        return "TRUE or FALSE (1 or 0)"
    if kind == "d":
        try:
            from_ISO8601(text)
        except (ValueError, TypeError):
            return "an ISO date"
    return None


def _bad_cell(
    data: bytes, file_name: str, limits: ReadLimits, parts: list[tuple[str, str]]
) -> ParseError | None:
    """The first typed cell whose stored value is not of its type (``<v>NaN</v>`` in a numeric
    cell, ``<v>x</v>`` in a boolean one), which makes openpyxl refuse the whole workbook: looked
    for only after it failed, to name the cell."""
    with open_zip(data, file_name, limits, ".xlsx workbook") as archive:
        for name, part in parts:
            try:
                with archive.open(part) as src:
                    for _, cell in etree.iterparse(src, events=("end",), tag="{*}c", resolve_entities=False):
                        value = cell.find(_VALUE)
                        text = value.text if value is not None else None
                        expected = _bad_value(cell.get("t", "n"), text) if text is not None else None
                        if expected is not None and text is not None:
                            shown = text if len(text) <= 40 else text[:40] + "…"
                            kind = {"n": "numeric", "b": "boolean", "d": "date"}[cell.get("t", "n")]
                            return ParseError(
                                file_name,
                                None,
                                f"{kind} cell holds {shown!r}, which is not {expected}",
                                position=_cell_position(file_name, name, cell.get("r") or ""),
                            )
                        cell.clear()
            except (KeyError, etree.XMLSyntaxError, zipfile.BadZipFile, EOFError, OSError):
                continue
    return None


def _cell_position(file_name: str, sheet: str, ref: str) -> Position:
    try:
        row, col = coordinate_to_tuple(ref)
    except (ValueError, TypeError):
        return Position(file_name, sheet=sheet)
    return Position(file_name, sheet=sheet, row=row, col=col)


def _values(ws: Worksheet) -> list[list[str]]:
    """Cell texts of the used range (a formula without a cached value is None: empty)."""
    values: list[list[str]] = []
    for row in ws.iter_rows(min_row=1, min_col=1):
        out = []
        for cell in row:
            value = cell.value
            if value is None:
                out.append("")
            elif isinstance(value, str):
                out.append(clean_text(value))
            else:
                out.append(value_text(value, cell.number_format))
        values.append(out)
    return values


class XlsxReader:
    """Reader of Office Open XML workbooks."""

    formats = ("xlsx",)

    def sniff(self, data: bytes, file_name: str) -> bool:
        """A zip package whose content types declare a workbook."""
        return package_kind(data) == "xlsx"

    def _scan(
        self, data: bytes, file_name: str, limits: ReadLimits, deadline: Deadline
    ) -> dict[str, _SheetScan]:
        with open_zip(data, file_name, limits, ".xlsx workbook") as archive:
            return self._scan_parts(archive, data, file_name, limits, deadline)

    def _scan_parts(
        self, archive: zipfile.ZipFile, data: bytes, file_name: str, limits: ReadLimits, deadline: Deadline
    ) -> dict[str, _SheetScan]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
                reader.read_manifest()
                reader.read_workbook()
                parts = [
                    (sheet.name, rel.target)
                    for sheet, rel in reader.parser.find_sheets()
                    if rel.Type.endswith(_WORKSHEET_REL)
                ]
        except Exception as exc:  # openpyxl raises anything on a malformed package
            raise _damaged(file_name, exc) from None
        if len(parts) > limits.max_sheets:
            raise LimitExceededError(
                file_name, None, f"{len(parts):,} worksheets, more than the limit of {limits.max_sheets:,}"
            )
        scans: dict[str, _SheetScan] = {}
        budget = limits.max_cells
        for name, part in parts:
            position = Position(file_name, sheet=name)
            deadline.check(position)
            try:
                scan = _scan_sheet(archive, part, budget, position, limits)
            except KeyError:
                raise ParseError(
                    file_name, None, f"the worksheet's part {part} is missing", position=position
                ) from None
            except (etree.XMLSyntaxError, zipfile.BadZipFile, EOFError, OSError) as exc:
                raise _damaged(file_name, exc, position) from None
            budget -= scan.cells + scan.merged
            scan.part = part
            scans[name] = scan
        return scans

    def read(self, data: bytes, file_name: str, limits: ReadLimits) -> Document:
        """Every worksheet as a sheet; see the module docstring."""
        check_size(data, file_name, limits)
        deadline = Deadline(file_name, limits.timeout_seconds)
        scans = self._scan(data, file_name, limits, deadline)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reader = ExcelReader(io.BytesIO(data), read_only=False, data_only=True, keep_links=False)
                reader.read()
        except Exception as exc:  # openpyxl raises anything on a malformed package
            parts = [(name, scan.part) for name, scan in scans.items()]
            raise (_bad_cell(data, file_name, limits, parts) or _damaged(file_name, exc)) from None
        sheets: list[Sheet] = []
        notes: list[ReadWarning] = []
        budget = limits.max_cells
        hidden: list[str] = []
        for index, ws in enumerate(reader.wb.worksheets, start=1):
            position = Position(file_name, sheet=ws.title)
            deadline.check(position)
            scan = scans.get(ws.title, _SheetScan())
            if ws.sheet_state != "visible":
                if scan.cells:
                    hidden.append(ws.title)
                    notes.append(ReadWarning(position, HIDDEN_SHEET_WARNING))
                continue
            area = ws.max_row * ws.max_column if scan.cells else 0
            if area > budget:
                raise LimitExceededError(
                    file_name,
                    None,
                    f"the used range {ws.dimensions} spans {area:,} cells, more than the limit of "
                    f"{limits.max_cells:,} (a stray cell far from the table?)",
                    position=position,
                )
            budget -= area
            values = _values(ws) if scan.cells else []
            merges = [
                (r.min_row - 1, r.min_col - 1, r.max_row - 1, r.max_col - 1) for r in ws.merged_cells.ranges
            ]
            rows, merges = grid_from_values(values, merges)
            for ref in scan.uncached_formulas:
                notes.append(
                    ReadWarning(
                        _cell_position(file_name, ws.title, ref),
                        "formula without a cached value (the file was saved without calculating it); "
                        "read as empty, not evaluated",
                    )
                )
            if not rows:
                notes.append(ReadWarning(position, "empty worksheet (no cell with text)"))
                continue
            sheets.append(Sheet(name=ws.title, kind="sheet", index=index, rows=rows, merges=merges))
        if not sheets:
            if hidden:
                raise only_hidden(file_name, hidden)
            names = "、".join(ws.title for ws in reader.wb.worksheets) or "none"
            raise ParseError(
                file_name, None, f"empty workbook: no worksheet has a cell with text (sheets: {names})"
            )
        return Document(
            file_name=file_name,
            sha256=hashlib.sha256(data).hexdigest(),
            format="xlsx",
            sheets=tuple(sheets),
            warnings=tuple(notes),
        )
