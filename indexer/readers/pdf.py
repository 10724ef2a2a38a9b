"""PDF files with a text layer, through pdfplumber (pdfminer.six underneath).

The page count is read from the document's page tree before any page is
parsed, and refused above ``limits.max_pages``; pages are then opened one at a
time (a page tree that lies about its count is stopped at the limit too), and
each page's content streams are measured before pdfminer inflates them
(:mod:`indexer.readers.pdf_streams`: decompression bombs).
Each page gives a ``page`` sheet ``第N页`` whose ``lines`` are its text layer
(pdfplumber's layout text: indentation and column gaps kept as spaces, the
common left margin removed, runs of blank lines shortened to one) and the
tables drawn on it with ruling lines (pdfplumber's ``lines`` strategy). A cell
spanning several grid columns or rows becomes a merged range. A table that
runs on at the top of the next page with the same columns, with nothing but
page furniture (page numbers) between, is joined into one ``table`` sheet
``表格N`` whose ``row_pages`` say where each row is printed; a header row
repeated on the new page is dropped. Tables come after the page on which they
start. See :mod:`indexer.readers.pdf_tables` for the table geometry.
"""

from __future__ import annotations

import hashlib
import io
import logging

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError
from pdfminer.pdfpage import PDFPage
from pdfminer.pdftypes import resolve1
from pdfplumber.page import Page

from indexer.errors import LimitExceededError, ParseError
from indexer.readers.base import (
    Deadline,
    Document,
    Position,
    ReadLimits,
    ReadWarning,
    Sheet,
    check_cells,
    check_size,
)
from indexer.readers.pdf_streams import content_size
from indexer.readers.pdf_tables import PageTable, continues, join, page_tables, text_lines

_CID_SHARE = 0.5  # pages where more than this share of characters are "(cid:N)" are unreadable


def _is_password_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, PDFEncryptionError) or "password" in str(seen).lower():
            return True
        seen = seen.__cause__ or (
            seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        )
    return False


def _open(data: bytes, file_name: str) -> pdfplumber.PDF:
    try:
        return pdfplumber.PDF(io.BytesIO(data))
    except Exception as exc:  # pdfminer wraps every failure in PdfminerException
        if _is_password_error(exc):
            raise ParseError(
                file_name, None, "password-protected PDF: it cannot be opened without its password"
            ) from None
        raise ParseError(
            file_name, None, f"damaged or truncated PDF, pdfminer cannot open it: {exc}"
        ) from None


def _declared_pages(pdf: pdfplumber.PDF, file_name: str) -> int | None:
    """The page tree's ``/Count`` (None when the tree is unreadable: pages are counted while read)."""
    try:
        count = resolve1(resolve1(pdf.doc.catalog["Pages"])["Count"])
    except Exception:  # a broken or missing page tree; the page walk reports it
        return None
    return count if isinstance(count, int) else None


class PdfReader:
    """Reader of PDF files (text layer and ruled tables)."""

    formats = ("pdf",)

    def sniff(self, data: bytes, file_name: str) -> bool:
        """``%PDF-`` within the first 1,024 bytes, where the standard allows the header."""
        return b"%PDF-" in data[:1024]

    def read(self, data: bytes, file_name: str, limits: ReadLimits) -> Document:
        """Pages and tables; see the module docstring."""
        check_size(data, file_name, limits)
        deadline = Deadline(file_name, limits.timeout_seconds)
        logging.getLogger("pdfminer").setLevel(logging.ERROR)
        # Not ``with``: pdfplumber's close() opens every page of the document to close it.
        # The pages are opened and closed here one by one; the stream is in memory.
        pdf = _open(data, file_name)
        declared = _declared_pages(pdf, file_name)
        if declared is not None and declared > limits.max_pages:
            raise LimitExceededError(
                file_name,
                None,
                f"PDF of {declared:,} pages, more than the limit of {limits.max_pages:,} "
                "(refused from its page count, before reading any page)",
            )
        return self._read_pages(pdf, data, file_name, limits, deadline, declared)

    def _read_pages(
        self,
        pdf: pdfplumber.PDF,
        data: bytes,
        file_name: str,
        limits: ReadLimits,
        deadline: Deadline,
        declared: int | None,
    ) -> Document:
        page_sheets: list[tuple[tuple[str, ...], int]] = []  # (lines, page)
        groups: list[list[PageTable]] = []  # parts of each table, in order of their first page
        notes: list[ReadWarning] = []
        n_chars = n_image_pages = cells = inflated = 0
        pages = PDFPage.create_pages(pdf.doc)
        doctop = 0.0
        while True:
            position = Position(file_name, page=len(page_sheets) + 1)
            deadline.check(position)
            try:
                page_obj = next(pages, None)
                if page_obj is None:
                    break
                if len(page_sheets) >= limits.max_pages:
                    raise LimitExceededError(
                        file_name,
                        None,
                        f"more than the limit of {limits.max_pages:,} pages",
                        position=position,
                    )
                number = len(page_sheets) + 1
                inflated += content_size(page_obj, limits.max_uncompressed_bytes - inflated)
                if inflated > limits.max_uncompressed_bytes:
                    raise LimitExceededError(
                        file_name,
                        None,
                        "decompression bomb? the content streams of the pages up to here inflate to more "
                        f"than the limit of {limits.max_uncompressed_bytes / 2**20:,.0f} MB",
                        position=position,
                    )
                page = Page(pdf, page_obj, page_number=number, initial_doctop=doctop)
                doctop += page.height
                chars = page.chars
                lines = text_lines(page) if chars else []
                tables = page_tables(page, number) if chars else []
                has_images = bool(page.images)
                page.close()
            except LimitExceededError:
                raise
            except Exception as exc:  # pdfminer raises anything on a damaged page
                raise ParseError(
                    file_name, None, f"damaged page, pdfminer cannot read it: {exc}", position=position
                ) from None
            page_sheets.append((tuple(lines), number))
            n_chars += len(chars)
            cid = sum(1 for ch in chars if ch.get("text", "").startswith("(cid:"))
            if chars and cid > _CID_SHARE * len(chars):
                notes.append(
                    ReadWarning(
                        position, "text layer not readable (fonts without a Unicode map); OCR the page"
                    )
                )
            if not chars and has_images:
                n_image_pages += 1
                notes.append(ReadWarning(position, "page without a text layer (scanned?); OCR it to read it"))
            for k, table in enumerate(tables):
                cells += table.n_cells
                check_cells(cells, limits, position)
                if k == 0 and groups and continues(groups[-1][-1], table):
                    groups[-1].append(table)
                else:
                    groups.append([table])
        n_pages = len(page_sheets)
        if declared is not None and n_pages < declared:
            raise ParseError(
                file_name,
                None,
                f"truncated or damaged PDF: its page tree declares {declared} pages, "
                f"only {n_pages} could be read",
            )
        if n_pages == 0:
            raise ParseError(file_name, None, "PDF without any page")
        if n_chars == 0:
            if n_image_pages:
                raise ParseError(
                    file_name, None, "scanned PDF, no text layer (OCR it first, e.g. with ocrmypdf)"
                )
            raise ParseError(file_name, None, "PDF without any text (blank pages?)")
        return Document(
            file_name=file_name,
            sha256=hashlib.sha256(data).hexdigest(),
            format="pdf",
            sheets=_ordered(page_sheets, groups),
            warnings=tuple(notes),
        )


def _ordered(
    page_sheets: list[tuple[tuple[str, ...], int]], groups: list[list[PageTable]]
) -> tuple[Sheet, ...]:
    """Each page's text sheet, followed by the tables that start on it."""
    sheets: list[Sheet] = []
    pending = list(groups)
    n_tables = 0
    for lines, number in page_sheets:
        rows = tuple((line,) for line in lines)
        sheets.append(
            Sheet(
                f"第{number}页", "page", len(sheets) + 1, rows, row_pages=(number,) * len(rows), lines=lines
            )
        )
        while pending and pending[0][0].page == number:
            n_tables += 1
            sheets.append(join(pending.pop(0), f"表格{n_tables}", len(sheets) + 1))
    return tuple(sheets)
