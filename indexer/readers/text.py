"""Plain-text tables: .txt/.tsv (tab-separated, or text lines) and .csv.

Decoding: a BOM decides (UTF-8, UTF-16, UTF-32); else strict UTF-8; else strict
GB18030 (a superset of GBK and GB2312, the encodings Chinese office software
writes). Text with control characters, or bytes neither decodes, is refused as
binary. One sheet: the tab-separated grid (or, for a .csv or content that is
consistently comma-separated, the grid the ``csv`` module reads) and the text
lines, so a text-layout interpreter can read the lines and a grid interpreter
the cells. In a tab grid row *n* is line *n*.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections import Counter
from pathlib import PurePath

from indexer.errors import ParseError
from indexer.readers.base import (
    Document,
    Position,
    ReadLimits,
    ReadWarning,
    Sheet,
    check_cells,
    check_size,
)
from indexer.readers.grid import grid_from_values

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")  # control characters but \t \n \v \f \r
_CSV_MIN_ROWS = 2
_CSV_AGREEMENT = 0.8  # share of non-empty rows with the most common field count


def _at_line(file_name: str, line: int, message: str) -> ParseError:
    return ParseError(file_name, line, message, position=Position(file_name, line=line))


def _line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def _check_controls(text: str, file_name: str, encoding: str) -> None:
    found = _CONTROL.search(text)
    if found is not None:
        raise _at_line(
            file_name,
            text.count("\n", 0, found.start()) + 1,
            f"binary data, not text: control character U+{ord(found.group()):04X} as {encoding}",
        )


def decode_text(data: bytes, file_name: str) -> tuple[str, str]:
    """``(text, encoding)`` of a text file, or ParseError naming the offending line."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                raise _at_line(
                    file_name,
                    _line_of(data, exc.start),
                    f"invalid {codec.upper()} text (the file starts with its byte-order mark): "
                    f"{exc.reason} at byte offset {exc.start} (truncated?)",
                ) from None
            _check_controls(text, file_name, codec)
            return text, codec
    if b"\x00" in data:
        at = data.index(b"\x00")
        zeros = [i % 2 for i in range(min(len(data), 400)) if data[i] == 0]
        utf16 = len(zeros) >= 2 and len(set(zeros)) == 1
        hint = " (UTF-16 without a byte-order mark? save it as UTF-8)" if utf16 else ""
        raise _at_line(
            file_name, _line_of(data, at), f"binary data, not a text table: NUL byte at offset {at}{hint}"
        )
    try:
        text = data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError as utf8_error:
        if utf8_error.reason == "unexpected end of data" and utf8_error.end == len(data):
            raise _at_line(
                file_name,
                _line_of(data, utf8_error.start),
                "truncated: the file ends in the middle of a UTF-8 character",
            ) from None
        try:
            text = data.decode("gb18030")
            encoding = "gb18030"
        except UnicodeDecodeError as gb_error:
            if gb_error.end == len(data) and utf8_error.start < gb_error.start:
                raise _at_line(
                    file_name,
                    _line_of(data, gb_error.start),
                    "truncated: the file ends in the middle of a GB18030 character",
                ) from None
            raise _at_line(
                file_name,
                _line_of(data, utf8_error.start),
                f"neither UTF-8 text (invalid byte 0x{data[utf8_error.start]:02x} at offset "
                f"{utf8_error.start}) nor GB18030 text (invalid at offset {gb_error.start})",
            ) from None
    _check_controls(text, file_name, encoding)
    return text, encoding


def split_lines(text: str) -> list[str]:
    """The lines of a text (any newline convention); a final newline ends the last line."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


class _CsvError(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line


def _csv_rows(text: str) -> list[list[str]]:
    """Rows by the csv module; ``strict`` refuses a quoted cell left open (a cut file)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").splitlines(keepends=True)
    reader = csv.reader(lines, strict=True)
    try:
        return list(reader)
    except csv.Error as exc:
        raise _CsvError(reader.line_num, str(exc)) from None


def _looks_like_csv(text: str, lines: list[str]) -> bool:
    """Comma-separated content: no tabs, and most rows have the same number (≥ 2) of fields."""
    if "\t" in text or "," not in text:
        return False
    try:
        counts = Counter(len(row) for row in _csv_rows(text) if any(cell.strip() for cell in row))
    except _CsvError:
        return False
    if not counts:
        return False
    width, n = counts.most_common(1)[0]
    total = sum(counts.values())
    return width >= 2 and n >= _CSV_MIN_ROWS and n >= _CSV_AGREEMENT * total and len(lines) > 0


class TextReader:
    """Reader of .txt/.tsv/.csv text tables (always the last one tried)."""

    formats = ("txt", "csv")

    def sniff(self, data: bytes, file_name: str) -> bool:
        """Text is the fallback: every other format has a signature; decoding decides."""
        return True

    def read(self, data: bytes, file_name: str, limits: ReadLimits) -> Document:
        """One sheet of cells and lines; see the module docstring."""
        check_size(data, file_name, limits)
        text, _encoding = decode_text(data, file_name)
        lines = split_lines(text)
        as_csv = PurePath(file_name).suffix.lower() == ".csv" or _looks_like_csv(text, lines)
        if as_csv:
            try:
                values = _csv_rows(text)
            except _CsvError as exc:
                raise ParseError(
                    file_name,
                    exc.line,
                    f"not a readable CSV file (truncated inside a quoted cell?): {exc}",
                    position=Position(file_name, line=exc.line),
                ) from None
        else:
            values = [line.split("\t") for line in lines]
        width = max((len(row) for row in values), default=0)
        check_cells(len(values) * width, limits, Position(file_name))
        rows, _ = grid_from_values(values)
        if not any(line.strip() for line in lines):
            raise ParseError(file_name, None, "empty file: no text at all")
        notes = []
        if not text.endswith(("\n", "\r")):
            # Not refused: a layout interpreter knows whether the last row is complete.
            notes.append(
                ReadWarning(
                    Position(file_name, line=len(lines)), "no line break at the end of the file (cut short?)"
                )
            )
        sheet = Sheet(
            name=PurePath(file_name).stem or "正文",
            kind="sheet" if as_csv else "text",
            index=1,
            rows=rows,
            lines=tuple(lines),
        )
        return Document(
            file_name=file_name,
            sha256=hashlib.sha256(data).hexdigest(),
            format="csv" if as_csv else "txt",
            sheets=(sheet,),
            warnings=tuple(notes),
        )
