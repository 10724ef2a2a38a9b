"""Layout interpreters: a reader's :class:`~indexer.readers.base.Document` → a :class:`SourceTable`.

:func:`detect` scores every interpreter of :data:`INTERPRETERS` and
:func:`interpret` uses the best one; a document no interpreter scores at
least :data:`~indexer.layouts.base.MIN_SCORE` is an
:class:`~indexer.errors.UnknownLayoutError` that lists what each one found.
A workbook's (or Word file's) sheets the best one did not read are read each with
its own layout (:mod:`indexer.layouts.per_sheet`); one that no layout reads is a
warning naming the file and the sheet.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexer.errors import ParseError, UnknownLayoutError
from indexer.layouts.base import MIN_SCORE, Interpreter, LayoutScore
from indexer.layouts.five_column import FiveColumnTable
from indexer.layouts.guangzhou import GuangzhouTable
from indexer.layouts.long_table import LongTableInterpreter
from indexer.layouts.national_form import NationalFormInterpreter
from indexer.layouts.pdf_text import PdfTextTable
from indexer.layouts.per_sheet import leftover_sheets, merge_tables, sheet_document
from indexer.readers.base import Document, ReadWarning
from indexer.records import SourceTable

__all__ = [
    "INTERPRETERS",
    "MIN_SCORE",
    "Interpretation",
    "Interpreter",
    "LayoutScore",
    "detect",
    "interpret",
]

# One entry per layout module (append yours; order only breaks exact ties).
INTERPRETERS: tuple[Interpreter, ...] = (
    GuangzhouTable(),
    PdfTextTable(),
    FiveColumnTable(),
    NationalFormInterpreter(),
    LongTableInterpreter(),
)


@dataclass(frozen=True, slots=True)
class Interpretation:
    """A document's table, the best interpreter's score, and what was left unread (warnings)."""

    table: SourceTable
    score: LayoutScore
    warnings: tuple[ReadWarning, ...] = ()


def detect(document: Document) -> list[LayoutScore]:
    """Every interpreter's score for the document, best first."""
    scores = [interpreter.score(document) for interpreter in INTERPRETERS]
    return sorted(scores, key=lambda s: -s.score)


def _best(document: Document) -> tuple[SourceTable, LayoutScore]:
    scores = detect(document)
    if not scores or scores[0].score < MIN_SCORE:
        found = "; ".join(f"{s.layout} {s.score:.2f} ({s.reason})" for s in scores) or "no interpreters"
        raise UnknownLayoutError(document.file_name, None, f"unknown table layout: {found}")
    best = scores[0]
    by_layout = {interpreter.layout: interpreter for interpreter in INTERPRETERS}
    return by_layout[best.layout].interpret(document), best


def interpret(document: Document) -> Interpretation:
    """The document read by the best-scoring interpreter, with that interpreter's score; every
    sheet it did not read is read with the layout that scores that sheet best, and one that
    cannot be read is a warning naming the file and the sheet (the cell, when the error names one)."""
    table, best = _best(document)
    tables, warnings = [table], []
    for sheet in leftover_sheets(document, tables):
        try:
            tables.append(_best(sheet_document(document, sheet))[0])
        except UnknownLayoutError:
            where = document.position(sheet)
            warnings.append(ReadWarning(where, "sheet not read: no known table layout in it"))
        except ParseError as exc:
            where = exc.position or document.position(sheet)
            warnings.append(ReadWarning(where, f"sheet not read: {exc.message}"))
    return Interpretation(merge_tables(document, tables), best, tuple(warnings))
