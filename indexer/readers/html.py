"""Web pages and Excel/Word "save as web page" files (.html) through lxml.

libxml2's HTML parser builds the tree (it recovers from broken markup as
browsers do); the parse is streamed so that nesting deeper than
``limits.max_html_depth`` is refused as it is met (libxml2 itself stops
nesting at 256 levels). The encoding is the BOM's, else the page's ``<meta
charset>``, else UTF-8 if the bytes are valid UTF-8, else GB18030. Each
``<table>`` is a sheet ``表格1``…, a nested table ``表格1.1``; cells are placed
by the HTML table model (``rowspan``/``colspan``, a ``rowspan`` running past
the table is cut at its end, ``rowspan=0`` runs to it) and merged ranges are
filled. Cell text is what a browser shows: whitespace collapsed, ``<br>`` and
block elements as line breaks, scripts and styles dropped. Text outside tables
is the text sheet ``正文``; the lines just before a table are its preamble.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
from collections.abc import Iterator

from lxml import etree

from indexer.errors import LimitExceededError, ParseError
from indexer.readers.base import Deadline, Document, Position, ReadLimits, Sheet, check_cells, check_size
from indexer.readers.grid import Span, grid_from_spans

_SIGNATURE = re.compile(
    rb"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|table|meta)\b",
    re.IGNORECASE | re.DOTALL,
)
_OPENS_HTML = re.compile(rb"<html[\s>]", re.IGNORECASE)
_CLOSES_HTML = re.compile(rb"</html\s*>", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-]+)", re.IGNORECASE)
_CHINESE_LEGACY = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn"}
# fmt: off
_BLOCKS = frozenset((
    "address", "article", "aside", "blockquote", "caption", "dd", "div", "dl", "dt", "fieldset", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol",
    "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
))
# fmt: on
_SKIP = frozenset(("script", "style", "head", "title", "noscript", "template"))
_SPACES = re.compile(r"[ \t\n\r\f\v\xa0]+")
_MAX_COLSPAN = 1000  # the HTML standard's bounds
_MAX_ROWSPAN = 65534
_PREAMBLE_LINES = 6


def _encoding(data: bytes) -> str:
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return codec
    m = _META_CHARSET.search(data[:4096])
    if m is not None:
        name = m.group(1).decode("ascii").lower()
        if name in _CHINESE_LEGACY:
            return "gb18030"
        try:
            return codecs.lookup(name).name
        except LookupError:
            pass
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def _tag(el: etree._Element) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


class _Text:
    """Visible text of a subtree as lines, tables cut out (each replaced by a marker)."""

    def __init__(self) -> None:
        self.parts: list[str | etree._Element] = []

    def walk(self, el: etree._Element, skip_tables: bool) -> None:
        tag = _tag(el)
        if tag in _SKIP or not tag:
            pass
        elif tag == "table" and skip_tables:
            self.parts.append(el)
        elif tag == "br":
            self.parts.append("\n")
        else:
            block = tag in _BLOCKS
            if block:
                self.parts.append("\n")
            if el.text:
                self.parts.append(_SPACES.sub(" ", el.text))
            for child in el:
                self.walk(child, True)
            if block:
                self.parts.append("\n")
        if el.tail:
            self.parts.append(_SPACES.sub(" ", el.tail))

    def chunks(self) -> Iterator[list[str] | etree._Element]:
        """Runs of text lines (whitespace collapsed, empty lines dropped) and table markers."""
        text: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                text.append(part)
                continue
            yield _lines("".join(text))
            text = []
            yield part
        yield _lines("".join(text))


def _lines(text: str) -> list[str]:
    """Lines of walked text: source whitespace is already one space, ``\n`` is a break."""
    return [line for line in (raw.strip(" ") for raw in text.split("\n")) if line]


def _cell_text(cell: etree._Element) -> str:
    walker = _Text()
    if cell.text:
        walker.parts.append(_SPACES.sub(" ", cell.text))
    for child in cell:
        walker.walk(child, True)
    lines: list[str] = []
    for chunk in walker.chunks():
        if isinstance(chunk, list):
            lines.extend(chunk)
    return "\n".join(lines)


def _span(cell: etree._Element, attr: str, upper: int) -> int:
    raw = (cell.get(attr) or "1").strip()
    digits = re.match(r"\d+", raw)
    return min(int(digits.group()), upper) if digits else 1


def _table_spans(
    table: etree._Element, position: Position, limits: ReadLimits, cells: int, deadline: Deadline
) -> list[Span]:
    rows = [tr for tr in table.iter("tr") if next(tr.iterancestors("table"), None) is table]
    occupied: set[tuple[int, int]] = set()
    spans: list[Span] = []
    for r, tr in enumerate(rows):
        c = 0
        for cell in tr:
            if _tag(cell) not in ("td", "th"):
                continue
            if len(spans) % 4096 == 0:  # one table (one row, even) may hold most of the cell limit
                deadline.check(Position(position.file, sheet=position.sheet, row=r + 1))
            while (r, c) in occupied:
                c += 1
            rowspan = _span(cell, "rowspan", _MAX_ROWSPAN) or len(rows) - r
            rowspan = max(1, min(rowspan, len(rows) - r))
            colspan = max(1, _span(cell, "colspan", _MAX_COLSPAN))
            cells += rowspan * colspan
            check_cells(cells, limits, position)
            occupied.update((rr, cc) for rr in range(r, r + rowspan) for cc in range(c, c + colspan))
            spans.append(Span(r, c, rowspan, colspan, _cell_text(cell)))
            c += colspan
    return spans


class HtmlReader:
    """Reader of HTML pages holding tables."""

    formats = ("html",)

    def sniff(self, data: bytes, file_name: str) -> bool:
        """Content that opens with an HTML element (after a BOM, XML declaration or comments)."""
        head = data[:2048]
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            head = head.decode("utf-16", "ignore").encode("utf-8")
        elif head.startswith(codecs.BOM_UTF8):
            head = head[3:]
        return _SIGNATURE.match(head) is not None

    def _parse(self, data: bytes, file_name: str, limits: ReadLimits) -> etree._Element:
        depth = 0
        events = etree.iterparse(
            io.BytesIO(data),
            events=("start", "end"),
            html=True,
            recover=True,
            encoding=_encoding(data),
            no_network=True,
            remove_comments=True,
        )
        try:
            for event, el in events:
                if event == "end":
                    depth -= 1
                    continue
                depth += 1
                if depth > limits.max_html_depth:
                    line = el.sourceline
                    raise LimitExceededError(
                        file_name,
                        line,
                        f"HTML nested deeper than the limit of {limits.max_html_depth} elements "
                        f"(<{_tag(el)}> at this line)",
                        position=Position(file_name, line=line),
                    )
        except etree.LxmlError as exc:
            raise ParseError(file_name, None, f"not a readable HTML page: {exc}") from None
        root = events.root
        if root is None:
            raise ParseError(file_name, None, "empty HTML page: no element at all")
        return root

    def read(self, data: bytes, file_name: str, limits: ReadLimits) -> Document:
        """The tables and the text; see the module docstring."""
        check_size(data, file_name, limits)
        deadline = Deadline(file_name, limits.timeout_seconds)
        root = self._parse(data, file_name, limits)
        if _OPENS_HTML.search(data[:4096]) and not _CLOSES_HTML.search(data[-4096:]):
            line = data.count(b"\n") + 1
            raise ParseError(
                file_name,
                line,
                "truncated HTML page: it opens <html> but ends before </html>",
                position=Position(file_name, line=line),
            )
        walker = _Text()
        walker.walk(root, True)
        sheets: list[Sheet] = []
        body: list[str] = []
        since_table: list[str] = []
        cells = 0
        queue: list[tuple[etree._Element, str, tuple[str, ...]]] = []
        n_tables = 0
        for chunk in walker.chunks():
            if isinstance(chunk, list):
                body.extend(chunk)
                since_table.extend(chunk)
                continue
            n_tables += 1
            queue.append((chunk, f"表格{n_tables}", tuple(since_table[-_PREAMBLE_LINES:])))
            since_table = []
        while queue:
            table, name, preamble = queue.pop(0)
            position = Position(file_name, sheet=name)
            deadline.check(position)
            if len(sheets) >= limits.max_sheets:
                raise LimitExceededError(
                    file_name, None, f"more than the limit of {limits.max_sheets:,} tables", position=position
                )
            spans = _table_spans(table, position, limits, cells, deadline)
            rows, merges = grid_from_spans(spans)
            cells += sum(s.rowspan * s.colspan for s in spans)
            if rows:
                sheets.append(Sheet(name, "table", len(sheets) + 1, rows, merges, preamble=preamble))
            nested = [
                inner
                for inner in table.iter("table")
                if inner is not table and next(inner.iterancestors("table"), None) is table
            ]
            queue[:0] = [(inner, f"{name}.{j}", ()) for j, inner in enumerate(nested, start=1)]
        if body:
            sheets.append(
                Sheet("正文", "text", len(sheets) + 1, tuple((line,) for line in body), lines=tuple(body))
            )
        if not sheets:
            raise ParseError(file_name, None, "empty HTML page: no table and no text")
        return Document(
            file_name=file_name, sha256=hashlib.sha256(data).hexdigest(), format="html", sheets=tuple(sheets)
        )
