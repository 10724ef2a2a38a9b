"""The one way in: a file's bytes → the :class:`~indexer.records.SourceTable` it holds.

:func:`read_source` reads the bytes with the reader their content calls for
(:func:`~indexer.readers.read_document`) and hands the sheets to the layout
interpreter that recognises them best (:func:`~indexer.layouts.interpret`). The
store, the CLI (ingest and its dry run), the HTTP upload and the review
assistant all read through it; it writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from indexer.enrich import enrich_table, head_lines
from indexer.errors import ParseError
from indexer.layouts import LayoutScore, interpret
from indexer.readers import ReadLimits, ReadWarning, read_document
from indexer.records import SourceTable

__all__ = ["InputFile", "ReadResult", "read_input", "read_path", "read_source", "with_notes"]


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file to read: its name (for messages and the source's identity, never a path) and bytes."""

    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ReadResult:
    """What a file holds: its table, the layout that read it and how sure it was, the reader's notes
    and the interpreters' (a sheet left unread)."""

    table: SourceTable
    layout_score: LayoutScore
    warnings: tuple[ReadWarning, ...] = ()


def read_source(data: bytes, file_name: str, limits: ReadLimits | None = None) -> ReadResult:
    """Read one file of any supported format and layout; a ParseError names the file and the place."""
    document = read_document(data, file_name, limits)
    try:
        found = interpret(document)
    except ParseError as exc:
        raise with_notes(exc, document.warnings) from None
    # Every interpreter enriches its projects; the document's head fills what any left unknown.
    table = enrich_table(found.table, head_lines(document))
    return ReadResult(table, found.score, (*document.warnings, *found.warnings))


def with_notes(exc: ParseError, notes: tuple[ReadWarning, ...], shown: int = 3) -> ParseError:
    """``exc`` with the reader's notes added: a hidden worksheet or a formula read as empty is
    often why no layout could read the file, and the refusal is all the caller sees."""
    if not notes or type(exc).__init__ is not ParseError.__init__:
        return exc
    prefix = f"{exc.file}, "
    listed = "; ".join(str(note).removeprefix(prefix) for note in notes[:shown])
    more = f" and {len(notes) - shown} more" if len(notes) > shown else ""
    message = f"{exc.message} (reader's notes: {listed}{more})"
    return type(exc)(exc.file, exc.line, message, position=exc.position)


def read_input(path: str | Path) -> InputFile:
    """A file's bytes under its base name; an unreadable file is a ParseError naming it."""
    path = Path(path)
    try:
        return InputFile(path.name, path.read_bytes())
    except OSError as exc:
        raise ParseError(path.name, None, f"cannot read file: {exc.strerror or exc}") from None


def read_path(path: str | Path, limits: ReadLimits | None = None) -> ReadResult:
    """:func:`read_source` of a file on disk (named by its base name)."""
    source = read_input(path)
    return read_source(source.data, source.name, limits)
