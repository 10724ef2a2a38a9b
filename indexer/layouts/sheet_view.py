"""A reader's Sheet seen as the form interpreters need it: merged cells told apart, rows as tokens.

The readers copy a merged range's text into every cell it covers (so a row
reads on its own); the interpreters still need to know which cells are one
printed cell: a label spanning its block's rows, a value spanning to the right
edge, a note row merged across the whole table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from indexer.readers.base import Document, Merge, Position, Sheet
from indexer.text import canonical

__all__ = ["Cell", "SheetView", "squeeze"]

_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def _squeeze(text: str) -> str:
    return _SPACE.sub("", canonical(text))


def squeeze(text: str | None) -> str:
    """Canonical text without any whitespace (labels are printed spaced or one character a line).

    Cached: a form's label cells are squeezed many times, and forms repeat the same labels."""
    return _squeeze(text) if text else ""


@dataclass(frozen=True, slots=True)
class Cell:
    """One printed cell of a row: its first and last column (0-based) and its text, stripped."""

    row: int
    col: int
    end_col: int
    text: str


class SheetView:
    """Merge-aware access to one sheet of a document."""

    def __init__(self, document: Document, sheet: Sheet) -> None:
        self.document = document
        self.sheet = sheet
        self.n_rows = sheet.n_rows
        self.n_cols = sheet.n_cols
        self._merge_of: dict[tuple[int, int], Merge] = {}
        for merge in sheet.merges:
            r0, c0, r1, c1 = merge
            for r in range(r0, min(r1, self.n_rows - 1) + 1):
                for c in range(c0, min(c1, self.n_cols - 1) + 1):
                    self._merge_of[(r, c)] = merge

    def text(self, row: int, col: int) -> str:
        """The cell's text, stripped ('' outside the grid)."""
        if 0 <= row < self.n_rows and 0 <= col < self.n_cols:
            return self.sheet.rows[row][col].strip()
        return ""

    def merge(self, row: int, col: int) -> Merge | None:
        """The merged range covering the cell, if any."""
        return self._merge_of.get((row, col))

    def same_cell(self, row: int, col_a: int, col_b: int) -> bool:
        """True when two columns of a row are one printed (merged) cell."""
        merge = self._merge_of.get((row, col_a))
        return merge is not None and merge is self._merge_of.get((row, col_b))

    def continues_above(self, row: int, col: int) -> bool:
        """True when the cell is a lower part of a vertically merged cell."""
        merge = self._merge_of.get((row, col))
        return merge is not None and merge[0] < row

    def cells(self, row: int, start: int = 0, end: int | None = None) -> list[Cell]:
        """The row's printed cells from ``start`` to ``end`` (exclusive): a horizontal merge is one
        cell, empty cells are left out."""
        end = self.n_cols if end is None else min(end, self.n_cols)
        out: list[Cell] = []
        col = start
        while col < end:
            merge = self._merge_of.get((row, col))
            last = min(merge[3], end - 1) if merge is not None else col
            text = self.text(row, col)
            if text:
                out.append(Cell(row, col, last, text))
            col = last + 1
        return out

    def position(self, row: int | None = None, col: int | None = None) -> Position:
        """The document position of a 0-based cell or row of this sheet."""
        return self.document.position(self.sheet, row, col)
