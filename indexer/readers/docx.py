"""Word documents (.docx) through python-docx.

Each table of the body, in order, is a sheet ``表格1``, ``表格2``…; a table
nested in a cell follows its parent as ``表格1.1``. Merges come from the cells'
``gridSpan`` (horizontal) and ``vMerge`` (vertical: a ``continue`` cell belongs
to the range started above it) and are filled with the top-left text. Word's
skipped leading grid columns (``gridBefore``) are empty cells. The paragraphs
outside tables form the text sheet ``正文`` (one line per paragraph), and the
paragraphs just before each table are that table's ``preamble``. The zip
container is checked against the size limits before python-docx opens it.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field

import docx
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from indexer.errors import LimitExceededError, ParseError
from indexer.readers.base import (
    Deadline,
    Document,
    Position,
    ReadLimits,
    Sheet,
    check_cells,
    check_size,
    library_reason,
    xml_bomb_refusal,
)
from indexer.readers.grid import Span, clean_text, grid_from_spans
from indexer.readers.zipcheck import open_zip, package_kind

_PREAMBLE_LINES = 6


@dataclass
class _State:
    """What the walk over the body has gathered so far."""

    file_name: str
    limits: ReadLimits
    deadline: Deadline
    sheets: list[Sheet] = field(default_factory=list)
    cells: int = 0


def _table_spans(table: Table, check_area: Callable[[int], None]) -> list[Span]:
    """The cells of a table placed on its layout grid, with their spans; ``check_area`` is given
    the grid's size so far before a cell's columns are placed (a span is a few bytes of XML)."""
    origin_of: dict[tuple[int, int], tuple[int, int]] = {}
    extent: dict[tuple[int, int], list[int]] = {}  # origin → [rowspan, colspan]
    texts: dict[tuple[int, int], str] = {}
    width = 0
    for r, tr in enumerate(table._tbl.tr_lst):
        col = tr.grid_before
        for tc in tr.tc_lst:
            span = max(tc.grid_span, 1)
            width = max(width, col + span)
            check_area((r + 1) * width)
            above = origin_of.get((r - 1, col))
            if tc.vMerge == "continue" and above is not None:
                origin = above
                extent[origin][0] = r - origin[0] + 1
            else:
                origin = (r, col)
                extent[origin] = [1, span]
                texts[origin] = clean_text(_Cell(tc, table).text)
            for c in range(col, col + span):
                origin_of[(r, c)] = origin
            col += span
    return [Span(r, c, rs, cs, texts[(r, c)]) for (r, c), (rs, cs) in extent.items()]


def _read_table(table: Table, name: str, preamble: list[str], state: _State) -> None:
    position = Position(state.file_name, sheet=name)
    state.deadline.check(position)
    if len(state.sheets) >= state.limits.max_sheets:
        raise LimitExceededError(
            state.file_name,
            None,
            f"more than the limit of {state.limits.max_sheets:,} tables",
            position=position,
        )
    state.cells += sum(len(tr.tc_lst) for tr in table._tbl.tr_lst)
    check_cells(state.cells, state.limits, position)

    def check_area(area: int) -> None:
        check_cells(state.cells + area, state.limits, position)

    rows, merges = grid_from_spans(_table_spans(table, check_area), check_area=check_area)
    state.cells += len(rows) * (len(rows[0]) if rows else 0)
    if rows:
        index = len(state.sheets) + 1
        state.sheets.append(
            Sheet(name=name, kind="table", index=index, rows=rows, merges=merges, preamble=tuple(preamble))
        )
    nested = [inner for tr in table._tbl.tr_lst for tc in tr.tc_lst for inner in _Cell(tc, table).tables]
    for j, inner in enumerate(nested, start=1):
        _read_table(inner, f"{name}.{j}", [], state)


class DocxReader:
    """Reader of Office Open XML word-processing documents."""

    formats = ("docx",)

    def sniff(self, data: bytes, file_name: str) -> bool:
        """A zip package whose content types declare a Word document."""
        return package_kind(data) == "docx"

    def read(self, data: bytes, file_name: str, limits: ReadLimits) -> Document:
        """The tables and the body text; see the module docstring."""
        check_size(data, file_name, limits)
        open_zip(data, file_name, limits, ".docx document").close()
        try:
            document = docx.Document(io.BytesIO(data))
            blocks = list(document.iter_inner_content())
        except Exception as exc:  # python-docx raises anything on a malformed package
            reason = library_reason(exc)
            nested = " (tables inside tables?)"
            raise xml_bomb_refusal(file_name, ".docx document", exc, hint=nested) or ParseError(
                file_name, None, f"damaged or truncated .docx document, python-docx cannot read it: {reason}"
            ) from None
        state = _State(file_name, limits, Deadline(file_name, limits.timeout_seconds))
        lines: list[str] = []
        since_table: list[str] = []
        n_tables = 0
        for block in blocks:
            if isinstance(block, Paragraph):
                text = clean_text(block.text)
                lines.append(text)
                if text.strip():
                    since_table.append(text)
                continue
            n_tables += 1
            name = f"表格{n_tables}"
            try:
                _read_table(block, name, since_table[-_PREAMBLE_LINES:], state)
            except ParseError:
                raise
            except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
                # python-docx parses attributes lazily: a bad w:gridSpan raises only here.
                raise ParseError(
                    file_name,
                    None,
                    f"damaged .docx document, python-docx cannot read this table: {library_reason(exc)}",
                    position=Position(file_name, sheet=name),
                ) from None
            since_table = []
        if not state.sheets and not any(line.strip() for line in lines):
            raise ParseError(file_name, None, "empty document: no table and no text")
        sheets = list(state.sheets)
        if any(line.strip() for line in lines):
            body = tuple((line,) for line in lines)
            sheets.append(
                Sheet(name="正文", kind="text", index=len(sheets) + 1, rows=body, lines=tuple(lines))
            )
        return Document(
            file_name=file_name,
            sha256=hashlib.sha256(data).hexdigest(),
            format="docx",
            sheets=tuple(sheets),
        )
