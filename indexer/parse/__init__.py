"""Parse a performance-target table file into a :class:`~indexer.records.SourceTable`.

Three layouts are recognised by their content (never by the file name):

* ``tsv`` — tab-separated, header ``项目名称（资金使用单位）⇥总计⇥…⇥绩效指标``;
* ``pdf_text`` — PDF-extracted text, the same header separated by spaces;
* ``five_column`` — tab-separated ``主管部门⇥预算单位⇥项目名称⇥绩效目标⇥绩效指标``.

Anything else is refused with :class:`~indexer.errors.UnknownLayoutError`;
binary files, undecodable bytes and truncated rows with
:class:`~indexer.errors.ParseError` naming the file and line.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from indexer.enrich import enrich_table
from indexer.errors import ParseError, UnknownLayoutError
from indexer.parse import five_column, pdf_text, tsv
from indexer.parse.common import check_grand_total
from indexer.records import SourceTable
from indexer.text import strip_html

LAYOUTS: dict[str, tuple[Callable[[str], bool], Callable[[str, str, str], SourceTable]]] = {
    tsv.LAYOUT: (tsv.is_header, tsv.parse),
    pdf_text.LAYOUT: (pdf_text.is_header, pdf_text.parse),
    five_column.LAYOUT: (five_column.is_header, five_column.parse),
}
_HEADER_SCAN_LINES = 200
_INDICATOR_LIST = re.compile(r"\d、\s*(?:[1-4]\s*-\s*)?(?:产出|效益|满意度|成本)")

__all__ = [
    "LAYOUTS",
    "decode",
    "detect_layout",
    "parse_bytes",
    "parse_file",
    "parse_text",
    "read_table_bytes",
]


def detect_layout(text: str, file_name: str = "<text>") -> str:
    """The layout of a table's text, or :class:`UnknownLayoutError`."""
    for line in text.split("\n")[:_HEADER_SCAN_LINES]:
        for layout, (is_header, _) in LAYOUTS.items():
            if is_header(line):
                return layout
    raise UnknownLayoutError(
        file_name,
        None,
        "unknown table layout: no header line of a known layout "
        "(项目名称（资金使用单位） 总计 … 绩效指标, or 主管部门 预算单位 项目名称 绩效目标 绩效指标)",
    )


def _preamble(text: str) -> list[str]:
    """The title and preamble lines before the table's header line (region and year come from them)."""
    lines = text.split("\n")[:_HEADER_SCAN_LINES]
    upto = next((i for i, ln in enumerate(lines) if any(h(ln) for h, _ in LAYOUTS.values())), 0)
    return [strip_html(ln).strip() for ln in lines[:upto] if ln.strip()]


def _recognised(text: str) -> bool:
    try:
        detect_layout(text)
    except UnknownLayoutError:
        return False
    return True


def decode(data: bytes, file_name: str) -> str:
    """Decode a table file: UTF-8 (with or without BOM), else a legacy Chinese
    encoding (GB18030…) detected by charset-normalizer *if* the result is a
    recognisable table; binary data and anything else is a ParseError."""
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise ParseError(file_name, None, f"invalid UTF-16 text: {exc.reason}") from None
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ParseError(file_name, line, "binary file (NUL byte), not a text table")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and best.encoding not in ("utf_8", "ascii"):
        text = str(best)
        if _recognised(text):
            return text
    line = data[: utf8_error.start].count(b"\n") + 1
    raise ParseError(
        file_name,
        line,
        f"not UTF-8 text (invalid byte 0x{data[utf8_error.start]:02x} at offset {utf8_error.start}) "
        "and no other encoding yields a known table",
    )


def _refuse_cut_file(text: str, file_name: str, layout: str) -> None:
    """A file cut in the middle of a row: no final line break, and a last line
    that does not end with 。 while it holds indicators (``1、1-产出…``,
    ``…指标值:``) or belongs to a PDF extraction (which always ends its text
    with a line break)."""
    if not text or text.endswith("\n"):
        return
    last = strip_html(text.rsplit("\n", 1)[-1]).strip()
    if not last or last.endswith("。"):
        return
    if layout == "pdf_text" or "指标值" in last or _INDICATOR_LIST.search(last):
        raise ParseError(
            file_name,
            text.count("\n") + 1,
            "the file ends in the middle of a row (no final 。 and no final line break): truncated?",
        )


def parse_text(text: str, file_name: str, sha256: str | None = None) -> SourceTable:
    """Parse a table given as text. ``sha256`` defaults to the hash of the
    text's UTF-8 bytes (``parse_file`` passes the hash of the file's bytes)."""
    if sha256 is None:
        sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    layout = detect_layout(text, file_name)
    _refuse_cut_file(text, file_name, layout)
    table = LAYOUTS[layout][1](text, file_name, sha256)
    check_grand_total(table)
    table = enrich_table(table, _preamble(text))
    if not table.projects:
        raise ParseError(file_name, None, f"{layout} table without any project row")
    return table


def parse_bytes(data: bytes, file_name: str, sha256: str | None = None) -> SourceTable:
    """Parse a table file's bytes; ids derive from the bytes' sha256 (pass it when
    already computed, as the store does)."""
    if sha256 is None:
        sha256 = hashlib.sha256(data).hexdigest()
    return parse_text(decode(data, file_name), file_name, sha256)


def read_table_bytes(path: str | Path) -> bytes:
    """A table file's bytes; an unreadable file is a ParseError naming it."""
    path = Path(path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ParseError(path.name, None, f"cannot read file: {exc.strerror or exc}") from None


def parse_file(path: str | Path) -> SourceTable:
    """Parse one table file (layout detected from its content)."""
    return parse_bytes(read_table_bytes(path), Path(path).name)
