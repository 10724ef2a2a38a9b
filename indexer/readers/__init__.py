"""File readers: bytes of any supported format → a :class:`Document` of sheets.

:func:`read_document` picks the reader by the content (magic bytes), never by
the file name: a ``.xlsx`` that is really a PDF is read as a PDF (with a
warning), a ``.pdf`` of random bytes is refused. Password-protected Office
files, legacy Word files and other containers are refused with a message
saying what they are.
"""

from __future__ import annotations

import dataclasses
import logging
from functools import cache
from pathlib import PurePath
from typing import Any

from indexer.errors import ParseError
from indexer.readers.base import (
    Document,
    Position,
    Reader,
    ReadLimits,
    ReadWarning,
    Sheet,
    check_size,
    library_reason,
)
from indexer.readers.ole import ole_kind
from indexer.readers.zipcheck import package_kind

__all__ = [
    "READERS",
    "Document",
    "Position",
    "ReadLimits",
    "ReadWarning",
    "Reader",
    "Sheet",
    "format_of_name",
    "read_document",
    "readers",
]

log = logging.getLogger(__name__)


@cache
def readers() -> tuple[Reader, ...]:
    """The readers in the order they are tried; the text reader takes whatever has no signature.

    Imported on first use: the PDF, Excel and Word engines (pdfplumber, openpyxl,
    python-docx) take most of a second to import, which every command that only opens
    the stored corpus (``jixiao search``, ``classify``) would pay for nothing."""
    from indexer.readers.docx import DocxReader
    from indexer.readers.html import HtmlReader
    from indexer.readers.pdf import PdfReader
    from indexer.readers.text import TextReader
    from indexer.readers.xls import XlsReader
    from indexer.readers.xlsx import XlsxReader

    return (PdfReader(), XlsReader(), XlsxReader(), DocxReader(), HtmlReader(), TextReader())


def __getattr__(name: str) -> Any:
    if name == "READERS":
        return readers()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_EXTENSIONS = {
    ".pdf": "pdf",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".txt": "txt",
    ".tsv": "txt",
    ".csv": "csv",
}
_SIGNATURES = {
    "pdf": "no %PDF- header",
    "xlsx": "not a zip package",
    "docx": "not a zip package",
    "xls": "not an OLE compound file",
    "html": "no HTML element at its start",
}
_OLE_REFUSALS = {
    "encrypted": "password-protected Office file (an encrypted .xlsx/.docx package): remove the password "
    "and save it again",
    "doc": "Word 97–2003 document (.doc) is not supported: save it as .docx",
    "ppt": "PowerPoint file, not a table: save the table as .xlsx, .docx or .pdf",
    "ole": "OLE compound file that is neither an Excel workbook nor a Word document",
    "broken-ole": "damaged or truncated Office 97–2003 file (its OLE container cannot be read)",
}
_ZIP_REFUSALS = {
    "zip": "zip archive that is neither an Excel workbook (.xlsx) nor a Word document (.docx)",
    "broken-zip": "damaged or truncated zip container (an .xlsx or .docx cut short?): it cannot be opened",
}


def format_of_name(file_name: str) -> str | None:
    """The format a file's extension claims ("xlsx", "pdf"…), or None."""
    return _EXTENSIONS.get(PurePath(file_name).suffix.lower())


def _refusal(data: bytes, file_name: str) -> str | None:
    """Why a container no reader takes is refused (None: a reader may take it)."""
    kind = ole_kind(data)
    if kind is not None and kind != "xls":
        return _OLE_REFUSALS[kind]
    kind = package_kind(data)
    if kind in _ZIP_REFUSALS:
        return _ZIP_REFUSALS[kind]
    return None


def read_document(data: bytes, file_name: str, limits: ReadLimits | None = None) -> Document:
    """Read a file of any supported format; ParseError names the file and the place.

    ``file_name`` is used in messages and positions only (never as a path).
    """
    limits = limits or ReadLimits()
    check_size(data, file_name, limits)
    if not data.strip():
        raise ParseError(file_name, None, "empty file: no content at all")
    claimed = format_of_name(file_name)
    reason = _refusal(data, file_name)
    if reason is not None:
        raise ParseError(file_name, None, reason, position=Position(file_name))
    reader = next(r for r in readers() if r.sniff(data, file_name))
    try:
        document = reader.read(data, file_name, limits)
    except ParseError as exc:
        from indexer.readers.text import TextReader

        if isinstance(reader, TextReader) and claimed in _SIGNATURES:
            raise type(exc)(
                file_name,
                exc.line,
                f"not a {PurePath(file_name).suffix.lower()} file ({_SIGNATURES[claimed]}) nor any other "
                f"format read here: {exc.message}",
                position=exc.position,
            ) from None
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, UnicodeError) as exc:
        # A library failing on a damaged file where no reader expected it: refused naming the
        # file (never a 500), logged with its trace so the reader can learn the case.
        log.warning("reader %s failed on %s", type(reader).__name__, file_name, exc_info=True)
        raise ParseError(
            file_name,
            None,
            f"damaged {reader.formats[0]} file, it cannot be read: "
            f"{type(exc).__name__}: {library_reason(exc)}",
            position=Position(file_name),
        ) from None
    if claimed is not None and claimed not in reader.formats:
        note = ReadWarning(
            Position(file_name),
            f"named as {claimed} but the content is {document.format}: read as {document.format}",
        )
        document = dataclasses.replace(document, warnings=(note, *document.warnings))
    return document
