"""What every file reader returns, the limits it obeys and the interface it offers.

A reader turns a file's bytes into a :class:`Document`: sheets of text cells
with merged ranges resolved and positions kept. It knows file formats, not
table layouts; the layout interpreters (``indexer/layouts/``) read the sheets.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from indexer.errors import FileTooLargeError, LimitExceededError
from indexer.position import Position, column_letters

__all__ = [
    "Deadline",
    "Document",
    "Merge",
    "Position",
    "ReadLimits",
    "ReadWarning",
    "Reader",
    "Sheet",
    "SheetKind",
    "column_letters",
]

SheetKind = Literal["sheet", "page", "table", "text"]
Merge = tuple[int, int, int, int]
"""A merged range ``(r0, c0, r1, c1)``: 0-based, inclusive."""


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Bounds on what a reader accepts; hostile input is refused at the first one crossed.

    Explicit values (no settings object): the edge decides them. The defaults
    admit a whole published 部门预算 (hundreds of pages) and refuse bombs.
    """

    max_bytes: int = 100 * 2**20
    """Size of the file as given."""
    max_uncompressed_bytes: int = 256 * 2**20
    """Sum of the declared uncompressed sizes of a zip container's members (.xlsx, .docx)."""
    max_compression_ratio: float = 200.0
    """Uncompressed ÷ compressed size of one zip member larger than 1 MiB."""
    max_zip_members: int = 10_000
    max_sheets: int = 500
    """Worksheets of a workbook, tables of a document."""
    max_pages: int = 2_000
    """Pages of a PDF, checked from its page count before any page is read."""
    max_cells: int = 1_000_000
    """Cells of the whole document, counted before the grid is built."""
    max_html_depth: int = 200
    """Element nesting of an HTML page."""
    max_cell_chars: int = 100_000
    """Characters of one cell (a long goal or a Guangzhou indicator cell runs to a few thousand)."""
    timeout_seconds: float = 120.0
    """Wall time of one read, checked between sheets, pages and table rows."""


@dataclass(frozen=True, slots=True)
class ReadWarning:
    """Something read but worth telling: a formula without a cached value, a page without text."""

    position: Position
    message: str

    def __str__(self) -> str:
        return f"{self.position}: {self.message}"


@dataclass(frozen=True, slots=True)
class Sheet:
    """One grid of a document: a worksheet, a PDF page's text, a table, a text body.

    ``rows`` is rectangular; every cell of a merged range carries the merged
    text (so each row reads on its own) and ``merges`` lists the ranges, so
    that a merged copy can be told from a repeated value. ``row_pages`` gives
    the PDF page of each row (a table can run over several pages); ``lines``
    holds the text lines of text-layout sources (a text file, a PDF page).
    ``preamble`` is the text printed just before a table of a document or a
    PDF page (its title, 编报单位 and 单位 lines), which the grid does not hold.
    """

    name: str
    kind: SheetKind
    index: int
    rows: tuple[tuple[str, ...], ...]
    merges: tuple[Merge, ...] = ()
    row_pages: tuple[int, ...] | None = None
    lines: tuple[str, ...] | None = None
    preamble: tuple[str, ...] = ()

    @property
    def n_rows(self) -> int:
        """Number of grid rows."""
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        """Number of grid columns (every row has as many)."""
        return len(self.rows[0]) if self.rows else 0

    def merge_at(self, row: int, col: int) -> Merge | None:
        """The merged range covering a 0-based cell, or None."""
        for merge in self.merges:
            r0, c0, r1, c1 = merge
            if r0 <= row <= r1 and c0 <= col <= c1:
                return merge
        return None

    def is_merged_copy(self, row: int, col: int) -> bool:
        """True for a covered cell of a merged range other than its top-left one."""
        merge = self.merge_at(row, col)
        return merge is not None and (merge[0], merge[1]) != (row, col)


@dataclass(frozen=True, slots=True)
class Document:
    """A file as read: its sheets, in the order the file shows them."""

    file_name: str
    sha256: str
    format: str  # "txt", "csv", "xlsx", "xls", "docx", "html", "pdf"
    sheets: tuple[Sheet, ...]
    warnings: tuple[ReadWarning, ...] = field(default_factory=tuple)

    def position(self, sheet: Sheet, row: int | None = None, col: int | None = None) -> Position:
        """The place of a 0-based cell (or row) of one of this document's sheets.

        The rows of a text sheet and of a PDF page's sheet are lines; a text
        file (.txt, .csv) has one grid, so its sheet is not named.
        """
        page = None
        if sheet.row_pages is not None and row is not None:
            page = sheet.row_pages[row]
        elif sheet.kind == "page" and sheet.row_pages:
            page = sheet.row_pages[0]
        line = row + 1 if sheet.kind in ("text", "page") and row is not None else None
        return Position(
            self.file_name,
            sheet=None if self.format in ("txt", "csv") else sheet.name,
            page=page,
            row=None if row is None or line is not None else row + 1,
            col=None if col is None else col + 1,
            line=line,
        )


@runtime_checkable
class Reader(Protocol):
    """One file format's reader."""

    formats: tuple[str, ...]

    def sniff(self, data: bytes, file_name: str) -> bool:
        """True when the bytes are this reader's format (by content, not by name)."""
        ...

    def read(self, data: bytes, file_name: str, limits: ReadLimits) -> Document:
        """The document in the bytes, or a ParseError naming the file and the place."""
        ...


class Deadline:
    """The read's time limit, checked between units of work (pages, sheets, rows).

    A library call in progress cannot be interrupted from inside a thread, so
    the bound is the limit plus one unit; every unit is bounded by the other
    limits (cells, pages, uncompressed size).
    """

    def __init__(self, file_name: str, seconds: float) -> None:
        self.file_name = file_name
        self.seconds = seconds
        self.start = time.monotonic()

    def check(self, position: Position | None = None) -> None:
        """Raise LimitExceededError when the time is up; ``position`` says how far it got."""
        elapsed = time.monotonic() - self.start
        if elapsed > self.seconds:
            raise LimitExceededError(
                self.file_name,
                None,
                f"reading took longer than the limit of {self.seconds:g} s (stopped here)",
                position=position or Position(self.file_name),
            )


def library_reason(exc: BaseException) -> str:
    """The first line of a library's exception, for a message that names what it could not read."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def xml_bomb_refusal(
    file_name: str, what: str, exc: BaseException, position: Position | None = None, hint: str = ""
) -> LimitExceededError | None:
    """The refusal of an Office part whose XML libxml2 stopped as a bomb — nested deeper than 256
    levels (tables in tables in tables…) or entities expanding past its amplification limit (a
    "billion laughs") — rather than as damaged; None for another library error. ``hint`` says what
    may nest so (" (tables inside tables?)")."""
    reason = str(exc)
    if "Excessive depth" in reason:
        said = f"is nested more than 256 levels deep{hint}"
    elif "amplification" in reason:
        said = "declares entities that expand past the parser's limit (an entity bomb)"
    else:
        return None
    return LimitExceededError(
        file_name, None, f"the {what}'s XML {said}: it is not read", position=position or Position(file_name)
    )


def check_size(data: bytes, file_name: str, limits: ReadLimits) -> None:
    """Refuse a file larger than ``limits.max_bytes``."""
    if len(data) > limits.max_bytes:
        raise FileTooLargeError(
            file_name,
            None,
            f"file of {len(data):,} bytes is over the limit of {limits.max_bytes:,} bytes",
        )


def check_cell_chars(document: Document, limits: ReadLimits) -> None:
    """Refuse a document with a cell longer than ``limits.max_cell_chars``, naming the cell: its
    text would be stored, indexed and sent back whole with every search hit."""
    limit = limits.max_cell_chars
    for sheet in document.sheets:
        for r, row in enumerate(sheet.rows):
            if row and max(map(len, row)) > limit:
                c = next(i for i, text in enumerate(row) if len(text) > limit)
                raise LimitExceededError(
                    document.file_name,
                    None,
                    f"a cell of {len(row[c]):,} characters, more than the limit of {limit:,} per cell",
                    position=document.position(sheet, r, c),
                )


def check_cells(count: int, limits: ReadLimits, position: Position, what: str = "cells") -> None:
    """Refuse a document whose cell count passes ``limits.max_cells``."""
    if count > limits.max_cells:
        raise LimitExceededError(
            position.file,
            None,
            f"more than the limit of {limits.max_cells:,} {what} (huge or sparse sheet?)",
            position=position,
        )
