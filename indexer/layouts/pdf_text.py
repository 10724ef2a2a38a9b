"""The PDF-extracted text layout (南沙, 荔湾 tables).

::

    部门名称：广州南沙经济技术开发区商务局 单位：万元
    项目名称（资金使用单位） 总计 财政拨款 财政专户拨款 其他资金 绩效目标 绩效指标
    合计 67,522.75 67,522.75
    广州南沙经济技术开发区商务局 67,522.75 67,522.75      ← unit subtotal (not indented)
        工作经费 24.00 24.00                             ← project (indented)
    满足《南沙方案》政策推进落                            ← goal, wrapped
    实，航运枢纽建设…
    1、1-产出指标；11-数量指标；南沙港区集装箱吞吐量增长率；实施周期指标
    值:≥3%；…

* A project starts on an indented line; its name may wrap over several lines
  before the line that ends with the amounts.
* The amounts are the non-blank cells of the row in column order: blank cells
  vanish in the extraction, so ``24.00 24.00`` under 总计/财政拨款/财政专户拨款/
  其他资金 is 总计 and 财政拨款 (the 合计 row and every unit subtotal are checked
  against the projects by the tests, which confirms this reading for the seeds).
* Goal text and indicators wrap anywhere, blank lines are everywhere, and the
  goal may come before or after the indicator list. When it comes after, the
  last indicator's annual value ends with its line unless that line is full
  (as wide as the table's typical indicator line: the value wrapped) or the
  break left a bare comparator (``年度指标值:≥``); a doubled ``。`` after such
  a goal is the list's displaced terminator.
"""

from __future__ import annotations

import bisect
import re
import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from indexer.enrich import enrich_table
from indexer.layouts.base import LayoutScore
from indexer.layouts.common import (
    AMOUNT_COLUMNS,
    AMOUNT_RE,
    HEADER_SCAN_ROWS,
    amounts_from,
    check_grand_total,
    check_money_unit,
    check_not_cut,
    district_for,
    fail,
    find_department,
    line_number,
    parse_amount,
    project_id,
)
from indexer.layouts.indicators import (
    ANY_CODED_START,
    ANY_LEVEL1_START,
    BARE_COMPARATOR,
    parse_coded,
    parse_level1,
)
from indexer.readers.base import Document, Position
from indexer.records import Amounts, Indicator, Project, SourceTable, Subtotal
from indexer.text import canonical, canonical_mapped, display, display_width, strip_html

LAYOUT = "pdf_text"
_MAX_NAME_LINES = 8
_FULL_MARGIN = 8  # display columns: full indicator lines of a table vary by about ±4
_MIN_FULL_WIDTH = 10
_MIN_WIDTH_SAMPLE = 5
_MAX_FURNITURE = 80  # page numbers and repeated title/header lines are short
_CODED_FIRST = re.compile(r"(?<!\d)1、[1-4]-(?:产出|效益|满意度|成本)指标")
_LEVEL1_FIRST = re.compile(r"(?<!\d)1、(?:产出|效益|满意度|成本)指标")
_NOT_A_UNIT = re.compile(r"[、；;，,。：:]|指标")
_ANNUAL = "年度指标值："
_PAGE_NUMBER = re.compile(r"第\d+页(?:[，,]?共\d+页)?|-\d+-|\d+/\d+|[Pp]age ?\d+(?: ?of ?\d+)?")


def is_header(line: str) -> bool:
    """True for the space-separated header ``项目名称（资金使用单位） 总计 … 绩效指标``."""
    if "\t" in line or "项目名称" not in line:
        return False
    tokens = line.split()
    if not tokens:
        return False
    cells = [canonical(t) for t in tokens]
    return cells[0].startswith("项目名称") and "总计" in cells and "绩效目标" in cells and "绩效指标" in cells


def _split_amounts(line: str) -> tuple[str, list[str]] | None:
    """``(head, [amount, …])`` when the line ends with amounts, else None."""
    tokens = line.split()
    k = len(tokens)
    while k > 0 and AMOUNT_RE.fullmatch(tokens[k - 1]):
        k -= 1
    if k == len(tokens):
        return None
    head = line.rstrip()
    for tok in reversed(tokens[k:]):
        head = head[: head.rfind(tok)].rstrip()
    return head, tokens[k:]


def _is_indented(line: str) -> bool:
    return line.startswith(("  ", "\t")) and bool(line.strip())


@dataclass
class _Draft:
    name_raw: str
    line: int
    amounts: Amounts
    unit: str | None
    body: list[tuple[int, str]] = field(default_factory=list)


class _Parser:
    """The table in ``lines``; ``places[i]`` is where line ``i`` is in the file (page, line)."""

    def __init__(self, document: Document, lines: list[str], places: list[Position]) -> None:
        self.file = document.file_name
        self.sha256 = document.sha256
        self.lines = lines
        self.places = places
        header_at = next((i for i, line in enumerate(self.lines) if is_header(line)), None)
        if header_at is None:
            raise fail(Position(self.file), "no space-separated header line")
        self.header_at = header_at
        self.department = find_department(self.lines[:header_at], self.at(header_at + 1))
        check_money_unit(self.lines[:header_at], self.at(header_at + 1))
        self.district = district_for(self.department, self.at(header_at + 1))
        self.preamble = {canonical(line) for line in self.lines[:header_at] if line.strip()}
        self.full_width = _full_width(self.lines[header_at + 1 :])
        tokens = [canonical(t) for t in self.lines[header_at].split()]
        self.amount_fields = [AMOUNT_COLUMNS[t] for t in tokens if t in AMOUNT_COLUMNS]

    def at(self, line_no: int) -> Position:
        """The place of a 1-based line of ``lines``."""
        return self.places[line_no - 1]

    def _is_page_furniture(self, line: str) -> bool:
        """Page numbers and the title/header lines a multi-page PDF repeats."""
        if len(line) > _MAX_FURNITURE:
            return False
        text = canonical(line)
        return bool(_PAGE_NUMBER.fullmatch(text)) or is_header(line) or text in self.preamble

    def amounts(self, values: list[str], line: int) -> Amounts:
        if len(values) > len(self.amount_fields):
            raise fail(
                self.at(line), f"{len(values)} amounts but the header has {len(self.amount_fields)} columns"
            )
        parsed: dict[str, Decimal | None] = {f: None for f in AMOUNT_COLUMNS.values()}
        for f, v in zip(self.amount_fields, values, strict=False):
            parsed[f] = parse_amount(v, self.at(line))
        return amounts_from(parsed)

    def parse(self) -> SourceTable:
        drafts: list[_Draft] = []
        grand_total: tuple[int, Amounts] | None = None
        units: list[tuple[str, int, Amounts]] = []
        lines = self.lines
        i = self.header_at + 1
        while i < len(lines):
            raw = lines[i].rstrip("\r")
            line_no = i + 1
            if not raw.strip() or self._is_page_furniture(raw):
                i += 1
                continue
            if _is_indented(raw):
                draft, i = self._project_head(i, units[-1][0] if units else None)
                drafts.append(draft)
                continue
            split = _split_amounts(raw)
            if split is not None and split[0] and not _NOT_A_UNIT.search(split[0]):
                label = canonical(split[0])
                amounts = self.amounts(split[1], line_no)
                if label == "合计":
                    grand_total = (line_no, amounts)
                else:
                    units.append((label, line_no, amounts))
                i += 1
                continue
            if not drafts:
                raise fail(self.at(line_no), f"text outside of any project: {raw.strip()[:40]!r}")
            drafts[-1].body.append((line_no, raw))
            i += 1

        projects = [self._project(seq, d) for seq, d in enumerate(drafts)]
        if projects and not projects[-1].indicators:
            # Every project lists indicators; a last one without any means the file was cut.
            raise fail(
                self.at(drafts[-1].line),
                f"last project {projects[-1].name!r} has no indicators (truncated?)",
            )
        unit_subtotals = []
        for label, line, amounts in units:
            ids = tuple(p.id for p, d in zip(projects, drafts, strict=True) if d.unit == label)
            if not ids:
                raise fail(self.at(line), f"unit subtotal {label!r} is followed by no project (truncated?)")
            unit_subtotals.append(Subtotal(label, line_number(self.at(line)), amounts, ids))
        total = None
        if grand_total is not None:
            line = line_number(self.at(grand_total[0]))
            total = Subtotal("合计", line, grand_total[1], tuple(p.id for p in projects))
        table = SourceTable(
            file_name=self.file,
            sha256=self.sha256,
            layout=LAYOUT,
            department=self.department,
            district=self.district,
            projects=tuple(projects),
            grand_total=total,
            unit_subtotals=tuple(unit_subtotals),
        )
        check_grand_total(table, self.at(grand_total[0]) if grand_total is not None else None)
        return table

    def _project_head(self, i: int, unit: str | None) -> tuple[_Draft, int]:
        """Collect a (possibly wrapped) project name up to its amounts line."""
        start = i
        parts: list[str] = []
        while True:
            raw = self.lines[i].rstrip("\r")
            split = _split_amounts(raw)
            if split is not None:
                parts.append(split[0])
                name_raw = display("\n".join(parts))
                if not name_raw:
                    raise fail(self.at(start + 1), "project without a name")
                return _Draft(name_raw, start + 1, self.amounts(split[1], i + 1), unit), i + 1
            parts.append(raw)
            i += 1
            # A page break may fall between a wrapped name and its amounts.
            while i < len(self.lines) and (
                not self.lines[i].strip() or self._is_page_furniture(self.lines[i])
            ):
                i += 1
            if i >= len(self.lines) or i - start > 2 * _MAX_NAME_LINES or _is_indented(self.lines[i]):
                raise fail(self.at(start + 1), "project name is not followed by its amounts (truncated row?)")

    def _project(self, seq: int, d: _Draft) -> Project:
        name = canonical(d.name_raw)
        pid = project_id(self.file, self.sha256, seq, name)
        goal_raw, indicators = self._body(pid, d)
        return Project(
            id=pid,
            source_file=self.file,
            source_line=line_number(self.at(d.line)),
            district=self.district,
            department=self.department,
            budget_unit=d.unit,
            name=name,
            name_raw=d.name_raw,
            amounts=d.amounts,
            goal=canonical(goal_raw).strip(),
            goal_raw=goal_raw,
            indicators=indicators,
            origin=self.at(d.line),
        )

    def _body(self, pid: str, d: _Draft) -> tuple[str, tuple[Indicator, ...]]:
        """Split a project's body lines into goal text and indicators."""
        body = d.body
        if not body:
            return "", ()
        texts = [t for _, t in body]
        starts: list[int] = []
        offset = 0
        for t in texts:
            starts.append(offset)
            offset += len(t) + 1
        raw = "\n".join(texts)

        def place_of(index: int) -> Position:
            return self.at(body[max(0, bisect.bisect_right(starts, index) - 1)][0])

        norm, pos = canonical_mapped(raw)
        m = _CODED_FIRST.search(norm)
        parse = parse_coded
        if m is None:
            m = _LEVEL1_FIRST.search(norm)
            parse = parse_level1
        if m is None:
            return _goal_text(texts), ()
        first = pos[m.start()]
        if norm[: m.start()].strip("。 "):
            goal = _goal_text(raw[:first].split("\n"))
            tail = raw[first:]
            shift = first
        else:
            end = self._indicator_end(norm, pos, raw, starts, texts)
            if ANY_CODED_START.search(canonical(raw[end:])) or ANY_LEVEL1_START.search(canonical(raw[end:])):
                end = len(raw)  # what follows is still indicators, not a goal
            goal = _goal_text(raw[end:].split("\n"))
            tail = raw[:end]
            shift = 0
        indicators = parse(tail, pid, lambda k: place_of(k + shift))
        return goal, indicators

    def _indicator_end(self, norm: str, pos: list[int], raw: str, starts: list[int], texts: list[str]) -> int:
        """Where the indicator list ends when the goal follows it (raw offset):
        the last annual value runs to the end of its line, and on over the
        next lines while its line is full (the value wrapped)."""
        at = norm.rfind(_ANNUAL)
        value = at + len(_ANNUAL)
        if at < 0 or value >= len(norm):
            return len(raw)
        line = bisect.bisect_right(starts, pos[value]) - 1

        def goes_on(line: int) -> bool:
            if self.full_width is not None and display_width(texts[line].rstrip()) >= self.full_width:
                return True
            # "年度指标值:≥" then a break: the number is on the next line
            so_far = canonical(raw[pos[value] : starts[line] + len(texts[line])])
            return not so_far or bool(BARE_COMPARATOR.fullmatch(so_far))

        while goes_on(line):
            nxt = line + 1
            while nxt < len(texts) and not texts[nxt].strip():
                nxt += 1
            if nxt >= len(texts):
                break
            line = nxt
        return starts[line] + len(texts[line])


def _full_width(lines: list[str]) -> int | None:
    """Display width from which an indicator line counts as full (wrapped by
    the PDF column, so its text goes on): the typical width of the table's
    indicator lines, less a margin for proportional glyphs."""
    widths = [display_width(line.rstrip()) for line in lines if "指标值" in line]
    if len(widths) < _MIN_WIDTH_SAMPLE:
        return None
    return max(_MIN_FULL_WIDTH, int(statistics.median(widths)) - _FULL_MARGIN)


def _goal_text(lines: list[str]) -> str:
    """Display text of goal lines. A 。 wrapped onto a line of its own stays,
    but a doubled 。 (the indicator list's terminator displaced after a goal
    that follows it) and a leading one are dropped."""
    text = display("\n".join(t for t in lines if t.strip()))
    return re.sub(r"。{2,}", "。", text).lstrip("。")


def _text_lines(document: Document) -> tuple[list[str], list[Position]]:
    """The text lines of the document (a text file's, or every PDF page's in turn) and their places."""
    lines: list[str] = []
    places: list[Position] = []
    for sheet in document.sheets:
        if sheet.kind not in ("text", "page") or sheet.lines is None:
            continue
        for k, line in enumerate(sheet.lines):
            lines.append(line.rstrip("\r"))
            places.append(document.position(sheet, k))
    return lines, places


def _header_line(document: Document) -> Position | None:
    for sheet in document.sheets:
        if sheet.kind in ("text", "page") and sheet.lines is not None:
            for k, line in enumerate(sheet.lines[:HEADER_SCAN_ROWS]):
                if is_header(line):
                    return document.position(sheet, k)
    return None


class PdfTextTable:
    """Interpreter of the Guangzhou table as the text layer of a PDF (or that text saved as .txt)."""

    layout = LAYOUT
    confidence = 0.9
    """Below a grid interpreter's 1: a ruled PDF table's page text holds the same header line."""

    def score(self, document: Document) -> LayoutScore:
        """0.9 when a text line is the space-separated header, else 0."""
        where = _header_line(document)
        if where is None:
            return LayoutScore(LAYOUT, 0.0, "no text line 项目名称（资金使用单位） 总计 … 绩效目标 绩效指标")
        return LayoutScore(LAYOUT, self.confidence, f"header line 项目名称 … 绩效指标 at {where}")

    def interpret(self, document: Document) -> SourceTable:
        """The projects of the text lines (every page in turn)."""
        for sheet in document.sheets:
            if sheet.kind == "text":
                check_not_cut(document, sheet, text_layout=True)
        lines, places = _text_lines(document)
        parser = _Parser(document, lines, places)
        table = parser.parse()
        if not table.projects:
            raise fail(Position(document.file_name), f"{LAYOUT} table without any project row")
        preamble = [strip_html(line).strip() for line in lines[: parser.header_at] if line.strip()]
        return enrich_table(table, preamble)
