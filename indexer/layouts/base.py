"""The interface of a layout interpreter: sheets of cells → projects.

A reader (``indexer/readers``) knows file formats; an interpreter knows one
table layout (the Guangzhou multi-project table, the 5-column table, the
national one-form-per-project form, the long one-row-per-indicator table …).
Detection asks every interpreter for a score and takes the best, so adding a
layout is adding one module and naming it in ``indexer/layouts/__init__.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from indexer.readers.base import Document
from indexer.records import SourceTable

__all__ = ["MIN_SCORE", "Interpreter", "LayoutScore"]

MIN_SCORE = 0.5
"""Below this best score a document is refused as an unknown layout."""


@dataclass(frozen=True, slots=True)
class LayoutScore:
    """How well one interpreter recognises a document, and why (shown by dry runs and errors)."""

    layout: str
    score: float  # 0 (not this layout) … 1 (certainly this layout)
    reason: str  # what was found or missing, in a few words


@runtime_checkable
class Interpreter(Protocol):
    """One table layout's interpreter."""

    layout: str
    """The name stored as ``SourceTable.layout`` (``"tsv"``, ``"national_form"`` …)."""

    def score(self, document: Document) -> LayoutScore:
        """How well the document's sheets look like this layout; cheap, never raises for content."""
        ...

    def interpret(self, document: Document) -> SourceTable:
        """The document's projects, or a ParseError naming the file and the place (sheet/page, row, cell).

        Every project and indicator carries its ``origin`` (a Position in the document).
        """
        ...
