"""Turn what a library gives (cell values, merged ranges, spanning cells) into a Sheet's grid.

One copy of the merge logic for every reader: the grid is made rectangular,
every cell of a merged range gets the range's text (taken from its top-left
cell, where every format keeps it), trailing empty rows and columns are cut,
and the ranges are kept, clipped to the grid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from indexer.readers.base import Merge

Grid = tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Span:
    """A cell placed on the grid: top-left corner (0-based), extent and text."""

    row: int
    col: int
    rowspan: int
    colspan: int
    text: str


def clean_text(text: str) -> str:
    """One newline convention inside cells; the text is otherwise kept as the file has it."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _extent(values: Sequence[Sequence[str]], merges: Iterable[Merge]) -> tuple[int, int]:
    n_rows = n_cols = 0
    for r, row in enumerate(values):
        for c, text in enumerate(row):
            if text.strip():
                n_rows = max(n_rows, r + 1)
                n_cols = max(n_cols, c + 1)
    for r0, c0, r1, c1 in merges:
        # A merge whose top-left cell holds text is part of the table even where it
        # runs past the last value; an empty merge does not stretch the grid.
        if r0 < len(values) and c0 < len(values[r0]) and values[r0][c0].strip():
            n_rows = max(n_rows, r1 + 1)
            n_cols = max(n_cols, c1 + 1)
    return n_rows, n_cols


def grid_from_values(
    values: Sequence[Sequence[str]],
    merges: Iterable[Merge] = (),
    *,
    check_area: Callable[[int], None] | None = None,
) -> tuple[Grid, tuple[Merge, ...]]:
    """A rectangular grid with merged ranges filled, and the kept ranges.

    ``values`` may be ragged; ``merges`` are 0-based inclusive ranges whose text
    sits in their top-left cell (other covered cells are ignored). Ranges of a
    single cell and ranges outside the grid are dropped, others clipped.
    ``check_area`` is called with the grid's cell count before it is built (a
    reader's limit check: one small cell merged across a million rows would
    otherwise be filled out in memory).
    """
    merges = list(merges)
    n_rows, n_cols = _extent(values, merges)
    if check_area is not None:
        check_area(n_rows * n_cols)
    rows = [[""] * n_cols for _ in range(n_rows)]
    for r, row in enumerate(values[:n_rows]):
        for c, text in enumerate(row[:n_cols]):
            rows[r][c] = text
    kept: list[Merge] = []
    for r0, c0, r1, c1 in sorted(set(merges)):
        if r0 >= n_rows or c0 >= n_cols:
            continue
        r1, c1 = min(r1, n_rows - 1), min(c1, n_cols - 1)
        if (r0, c0) == (r1, c1):
            continue
        text = rows[r0][c0]
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                rows[r][c] = text
        kept.append((r0, c0, r1, c1))
    return tuple(tuple(row) for row in rows), tuple(kept)


def grid_from_spans(
    spans: Iterable[Span], *, check_area: Callable[[int], None] | None = None
) -> tuple[Grid, tuple[Merge, ...]]:
    """The grid of cells placed with row and column spans (HTML, Word, PDF tables);
    ``check_area`` as in :func:`grid_from_values`."""
    spans = list(spans)
    n_rows = max((s.row + s.rowspan for s in spans), default=0)
    n_cols = max((s.col + s.colspan for s in spans), default=0)
    if check_area is not None:
        check_area(n_rows * n_cols)
    values = [[""] * n_cols for _ in range(n_rows)]
    merges: list[Merge] = []
    for s in spans:
        values[s.row][s.col] = s.text
        if s.rowspan > 1 or s.colspan > 1:
            merges.append((s.row, s.col, s.row + s.rowspan - 1, s.col + s.colspan - 1))
    return grid_from_values(values, merges, check_area=check_area)


def unfill(rows: Grid, merges: Iterable[Merge]) -> Grid:
    """The grid with merged copies blanked: each range's text only in its top-left cell."""
    out = [list(row) for row in rows]
    for r0, c0, r1, c1 in merges:
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    out[r][c] = ""
    return tuple(tuple(row) for row in out)
