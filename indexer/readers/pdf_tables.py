"""Geometry of ruled PDF tables: cells to a grid with spans, and tables joined across pages.

pdfplumber finds a table's cells from its ruling lines and groups them into
rows by their top edge and columns by their left edge (``Table.rows``,
``Table.extract``). A cell whose box reaches past the next row's top or the
next column's left edge spans them: that is the merge. Two parts of a table
are one table when the first ends at the bottom of its page and the second
starts at the top of the next with the same column edges; only page
furniture (a page number) may stand between them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pdfplumber.page import Page

from indexer.readers.base import Sheet
from indexer.readers.grid import Span, grid_from_spans, grid_from_values

_EDGE_TOLERANCE = 2.0  # points: the same column edge on two pages
_SPAN_TOLERANCE = 0.5
_FURNITURE = re.compile(
    r"[-—–\s]*(?:第\s*\d+\s*页(?:\s*[，,]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+|\d+|[Pp]age\s*\d+(?:\s*of\s*\d+)?)[-—–\s]*"
)


@dataclass(frozen=True)
class PageTable:
    """One table as drawn on one page."""

    page: int
    top: float
    bottom: float
    col_edges: tuple[float, ...]
    rows: tuple[tuple[str, ...], ...]
    merges: tuple[tuple[int, int, int, int], ...]
    preamble: tuple[str, ...] = ()
    at_page_top: bool = False  # only furniture above it on its page
    at_page_bottom: bool = False  # only furniture below it on its page

    @property
    def n_cells(self) -> int:
        """Cells of its grid."""
        return len(self.rows) * (len(self.rows[0]) if self.rows else 0)


def is_furniture(line: str) -> bool:
    """A page number line (``- 3 -``, ``第3页 共9页``, ``3/9``)."""
    return _FURNITURE.fullmatch(line.strip()) is not None


def text_lines(page: Page) -> list[str]:
    """The page's text layer as lines: layout kept, common margin removed, blank runs shortened."""
    raw = [line.rstrip() for line in page.extract_text(layout=True).split("\n")]
    indent = min((len(line) - len(line.lstrip()) for line in raw if line.strip()), default=0)
    lines: list[str] = []
    for line in raw:
        line = line[indent:]
        if line or (lines and lines[-1]):
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _text_between(page: Page, top: float, bottom: float) -> list[str]:
    x0, y0, x1, y1 = page.bbox
    top, bottom = max(top, y0), min(bottom, y1)
    if bottom - top < 1:
        return []
    text = page.crop((x0, top, x1, bottom)).extract_text()
    return [line.strip() for line in text.split("\n") if line.strip()]


def _index(edges: list[float], low: float, high: float) -> tuple[int, int]:
    """First and last edge index covered by a cell from ``low`` to ``high``."""
    first = edges.index(low)
    last = first
    while last + 1 < len(edges) and edges[last + 1] < high - _SPAN_TOLERANCE:
        last += 1
    return first, last


def page_tables(page: Page, page_number: int) -> list[PageTable]:
    """The ruled tables of a page, top to bottom, with their spans and neighbouring text."""
    found = sorted(page.find_tables(), key=lambda t: t.bbox[1])
    tables: list[PageTable] = []
    above_from = page.bbox[1]
    for k, table in enumerate(found):
        boxes = table.cells
        xs = sorted({box[0] for box in boxes})
        tops = sorted({box[1] for box in boxes})
        texts = table.extract()
        spans = []
        for x0, top, x1, bottom in boxes:
            r0, r1 = _index(tops, top, bottom)
            c0, c1 = _index(xs, x0, x1)
            text = texts[r0][c0] or ""
            spans.append(Span(r0, c0, r1 - r0 + 1, c1 - c0 + 1, text))
        rows, merges = grid_from_spans(spans)
        above = _text_between(page, above_from, table.bbox[1])
        below_to = found[k + 1].bbox[1] if k + 1 < len(found) else page.bbox[3]
        below = _text_between(page, table.bbox[3], below_to)
        tables.append(
            PageTable(
                page=page_number,
                top=table.bbox[1],
                bottom=table.bbox[3],
                col_edges=(*xs, max(box[2] for box in boxes)),
                rows=rows,
                merges=merges,
                preamble=tuple(above),
                at_page_top=k == 0 and all(is_furniture(line) for line in above),
                at_page_bottom=k + 1 == len(found) and all(is_furniture(line) for line in below),
            )
        )
        above_from = table.bbox[3]
    return tables


def continues(previous: PageTable, table: PageTable) -> bool:
    """True when ``table`` goes on with ``previous`` from the page before."""
    return (
        table.page == previous.page + 1
        and previous.at_page_bottom
        and table.at_page_top
        and len(table.col_edges) == len(previous.col_edges)
        and all(
            abs(a - b) <= _EDGE_TOLERANCE for a, b in zip(table.col_edges, previous.col_edges, strict=True)
        )
    )


def _norm(row: tuple[str, ...]) -> tuple[str, ...]:
    return tuple("".join(cell.split()) for cell in row)


def join(parts: list[PageTable], name: str, index: int) -> Sheet:
    """One sheet of a table printed over one or more pages (a repeated header row dropped)."""
    values: list[tuple[str, ...]] = []
    merges: list[tuple[int, int, int, int]] = []
    pages: list[int] = []
    header = _norm(parts[0].rows[0]) if parts[0].rows else None
    for n, part in enumerate(parts):
        skip = 0
        header_only_merges = all(m[2] == 0 for m in part.merges if m[0] == 0)
        if n > 0 and len(part.rows) > 1 and _norm(part.rows[0]) == header and header_only_merges:
            skip = 1  # the header row repeated at the top of the page
        offset = len(values) - skip
        values.extend(part.rows[skip:])
        pages.extend([part.page] * (len(part.rows) - skip))
        merges.extend((r0 + offset, c0, r1 + offset, c1) for r0, c0, r1, c1 in part.merges if r0 >= skip)
    rows, kept = grid_from_values(values, merges)
    return Sheet(
        name=name,
        kind="table",
        index=index,
        rows=rows,
        merges=kept,
        row_pages=tuple(pages[: len(rows)]),
        preamble=parts[0].preamble,
    )
