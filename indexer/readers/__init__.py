"""File readers: bytes of any supported format → a :class:`Document` of sheets.

:func:`read_document` picks the reader by the content (magic bytes), never by
the file name: a ``.xlsx`` that is really a PDF is read as a PDF (with a
warning), a ``.pdf`` of random bytes is refused. Password-protected Office
files, legacy Word files and other containers are refused with a message
saying what they are; a format not read here (.et, .doc, .ods, .xlsb, .rtf…) is refused as
unsupported, saying what to save it as and which formats are read.
"""

from __future__ import annotations

import dataclasses
import logging
from functools import cache
from pathlib import PurePath
from typing import Any

from indexer.errors import ParseError, UnsupportedFormatError
from indexer.readers.base import (
    Document,
    Position,
    Reader,
    ReadLimits,
    ReadWarning,
    Sheet,
    check_cell_chars,
    check_size,
    library_reason,
)
from indexer.readers.ole import ole_kind
from indexer.readers.zipcheck import package_kind

__all__ = [
    "ACCEPTED",
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
ACCEPTED = ".xlsx, .xls, .docx, .pdf, .html, .csv or .txt"
"""The formats read, as the refusal of any other one lists them."""
_DAMAGED = {
    "encrypted": "password-protected Office file (an encrypted .xlsx/.docx package): remove the password "
    "and save it again",
    "broken-ole": "damaged or truncated Office 97–2003 file (its OLE container cannot be read)",
    "broken-zip": "damaged or truncated zip container (an .xlsx or .docx cut short?): it cannot be opened",
}
_FORMATS: dict[str, tuple[str, str]] = {
    # what the content or the name says → (what it is, what to save it as)
    "doc": ("Word 97–2003 document (.doc)", ".docx"),
    "ppt": ("PowerPoint file, not a table", ".xlsx, .docx or .pdf"),
    "pptx": ("PowerPoint file, not a table", ".xlsx, .docx or .pdf"),
    "xlsb": ("Excel binary workbook (.xlsb)", ".xlsx"),
    "rtf": ("Rich Text document (.rtf)", ".docx"),
    "odf-spreadsheet": ("OpenDocument spreadsheet (.ods)", ".xlsx"),
    "odf-text": ("OpenDocument text (.odt)", ".docx"),
    "odf-presentation": ("OpenDocument presentation (.odp), not a table", ".xlsx, .docx or .pdf"),
    "ole": ("OLE compound file that is neither an Excel workbook nor a Word document", ".xlsx or .docx"),
    "zip": ("zip archive that is neither an Excel workbook (.xlsx) nor a Word document (.docx)", ".xlsx"),
    ".et": ("WPS spreadsheet (.et)", ".xlsx (WPS: 文件 → 另存为 → Excel 工作簿)"),
    ".ett": ("WPS spreadsheet template (.ett)", ".xlsx"),
    ".wps": ("WPS document (.wps)", ".docx (WPS: 文件 → 另存为 → Word 文档)"),
    ".wpt": ("WPS document template (.wpt)", ".docx"),
    ".dps": ("WPS presentation (.dps), not a table", ".xlsx, .docx or .pdf"),
    ".doc": ("Word 97–2003 document (.doc)", ".docx"),
    ".dot": ("Word 97–2003 template (.dot)", ".docx"),
    ".rtf": ("Rich Text document (.rtf)", ".docx"),
    ".xlsb": ("Excel binary workbook (.xlsb)", ".xlsx"),
    ".ods": ("OpenDocument spreadsheet (.ods)", ".xlsx"),
    ".odt": ("OpenDocument text (.odt)", ".docx"),
    ".ofd": ("OFD document (.ofd)", ".pdf"),
    ".numbers": ("Apple Numbers spreadsheet (.numbers)", ".xlsx"),
    ".pages": ("Apple Pages document (.pages)", ".docx"),
    ".ppt": ("PowerPoint file, not a table", ".xlsx, .docx or .pdf"),
    ".pptx": ("PowerPoint file, not a table", ".xlsx, .docx or .pdf"),
}
"""Formats refused as unsupported: by what the content is, or (when the content is no format read
here, or an OLE/zip container of unknown kind) by the file name's extension."""


def format_of_name(file_name: str) -> str | None:
    """The format a file's extension claims ("xlsx", "pdf"…), or None."""
    return _EXTENSIONS.get(PurePath(file_name).suffix.lower())


def unsupported(file_name: str, kind: str) -> UnsupportedFormatError:
    """The refusal of a file in a format not read here: what it is, what to save it as, what is read."""
    what, save_as = _FORMATS[kind]
    return UnsupportedFormatError(
        file_name,
        None,
        f"unsupported format: {what}; save it as {save_as} (formats read: {ACCEPTED})",
        position=Position(file_name),
    )


def _refusal(data: bytes, file_name: str) -> ParseError | None:
    """Why a container no reader takes is refused (None: a reader may take it)."""
    suffix = PurePath(file_name).suffix.lower()
    kind = ole_kind(data) or package_kind(data)
    if kind in _DAMAGED:
        return ParseError(file_name, None, _DAMAGED[kind], position=Position(file_name))
    if kind in ("ole", "zip") and suffix in _FORMATS:
        return unsupported(file_name, suffix)  # a container of unknown kind: its name says what it is
    if kind in _FORMATS:
        return unsupported(file_name, kind)
    if data[:64].lstrip()[:5] == b"{\\rtf":
        return unsupported(file_name, "rtf")
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
    refusal = _refusal(data, file_name)
    if refusal is not None:
        raise refusal
    reader = next(r for r in readers() if r.sniff(data, file_name))
    suffix = PurePath(file_name).suffix.lower()
    try:
        document = reader.read(data, file_name, limits)
    except ParseError as exc:
        from indexer.readers.text import TextReader

        if isinstance(reader, TextReader) and suffix in _FORMATS:
            # Bytes of no format read here under the name of one that is not read either (a WPS
            # .et): the name says what it is, where decoding it as text says only "binary data".
            raise unsupported(file_name, suffix) from None
        if isinstance(reader, TextReader) and claimed in _SIGNATURES:
            raise type(exc)(
                file_name,
                exc.line,
                f"not a {PurePath(file_name).suffix.lower()} file ({_SIGNATURES[claimed]}) nor any other "
                f"format read here: {exc.message}",
                position=exc.position,
            ) from None
        if isinstance(reader, TextReader) and claimed is None and exc.message.startswith("binary data"):
            raise UnsupportedFormatError(
                file_name,
                exc.line,
                f"unsupported format: {exc.message} (formats read: {ACCEPTED})",
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
    check_cell_chars(document, limits)
    named = claimed if claimed is not None else suffix if suffix in _FORMATS else None
    if named is not None and named not in reader.formats:
        note = ReadWarning(
            Position(file_name),
            f"named as {named} but the content is {document.format}: read as {document.format}",
        )
        document = dataclasses.replace(document, warnings=(note, *document.warnings))
    return document
