"""Layout interpreters: a reader's :class:`~indexer.readers.base.Document` → a :class:`SourceTable`.

:func:`detect` scores every interpreter of :data:`INTERPRETERS` and
:func:`interpret` uses the best one; a document no interpreter scores at
least :data:`~indexer.layouts.base.MIN_SCORE` is an
:class:`~indexer.errors.UnknownLayoutError` that lists what each one found.
"""

from __future__ import annotations

from indexer.errors import UnknownLayoutError
from indexer.layouts.base import MIN_SCORE, Interpreter, LayoutScore
from indexer.layouts.five_column import FiveColumnTable
from indexer.layouts.guangzhou import GuangzhouTable
from indexer.layouts.long_table import LongTableInterpreter
from indexer.layouts.national_form import NationalFormInterpreter
from indexer.layouts.pdf_text import PdfTextTable
from indexer.readers.base import Document
from indexer.records import SourceTable

__all__ = ["INTERPRETERS", "MIN_SCORE", "Interpreter", "LayoutScore", "detect", "interpret"]

# One entry per layout module (append yours; order only breaks exact ties).
INTERPRETERS: tuple[Interpreter, ...] = (
    GuangzhouTable(),
    PdfTextTable(),
    FiveColumnTable(),
    NationalFormInterpreter(),
    LongTableInterpreter(),
)


def detect(document: Document) -> list[LayoutScore]:
    """Every interpreter's score for the document, best first."""
    scores = [interpreter.score(document) for interpreter in INTERPRETERS]
    return sorted(scores, key=lambda s: -s.score)


def interpret(document: Document) -> tuple[SourceTable, LayoutScore]:
    """The document read by the best-scoring interpreter, with that interpreter's score."""
    scores = detect(document)
    if not scores or scores[0].score < MIN_SCORE:
        found = "; ".join(f"{s.layout} {s.score:.2f} ({s.reason})" for s in scores) or "no interpreters"
        raise UnknownLayoutError(document.file_name, None, f"unknown table layout: {found}")
    best = scores[0]
    by_layout = {interpreter.layout: interpreter for interpreter in INTERPRETERS}
    return by_layout[best.layout].interpret(document), best
