"""The Guangzhou multi-project table as a grid (layout ``tsv``): one row per project, all
indicators in one cell. Read from tab-separated text (where it was first met, hence the
name), CSV, worksheets, Word and HTML tables and ruled PDF tables alike.

::

    部门名称：广州市商务局
    单位：万元
    项目名称（资金使用单位）⇥总计⇥财政拨款⇥财政专户拨款⇥其他资金⇥绩效目标⇥绩效指标
    合计⇥101,132.26⇥100,969.66⇥⇥162.60⇥⇥
    广州市商务局⇥100,402.81⇥…⇥⇥            ← unit subtotal: amounts, no goal/indicators
    服务贸易专题⇥400.00⇥400.00⇥⇥⇥GOAL⇥1、1-产出指标；11-数量指标；…

The 部门名称 and 单位 lines come from the rows above the header or the text printed
before the table. Cells may carry stray ``<p>`` tags and wrap spaces; blank rows are
ignored, a header repeated on a new page is skipped, and a PDF row split by a page
break is joined again. A tab-separated line with fewer cells than the header is
refused as truncated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from indexer.enrich import enrich_table
from indexer.layouts.base import LayoutScore
from indexer.layouts.common import (
    AMOUNT_COLUMNS,
    amounts_from,
    check_grand_total,
    check_money_unit,
    check_not_cut,
    check_tab_width,
    district_for,
    fail,
    find_department,
    find_header,
    grid_sheets,
    header_row_score,
    line_number,
    pads_rows,
    parse_amount,
    preamble_lines,
    project_id,
    table_rows,
)
from indexer.layouts.indicators import parse_coded
from indexer.readers.base import Document, Position, Sheet
from indexer.records import Amounts, Project, SourceTable, Subtotal
from indexer.text import canonical, display, strip_html

LAYOUT = "tsv"


def is_header(cells: Sequence[str]) -> bool:
    """True for the header row ``项目名称（资金使用单位）|总计|…|绩效目标|绩效指标``."""
    if not cells or "项目名称" not in cells[0]:
        return False
    labels = [canonical(c) for c in cells]
    return labels[0].startswith("项目名称") and {"总计", "绩效目标", "绩效指标"} <= set(labels)


@dataclass
class _Unit:
    label: str
    row: int
    line: int
    amounts: Amounts
    project_ids: list[str] = field(default_factory=list)


class GuangzhouTable:
    """Interpreter of the Guangzhou multi-project table in any grid."""

    layout = LAYOUT

    def score(self, document: Document) -> LayoutScore:
        """1 when a grid sheet has the header row, else 0."""
        return header_row_score(
            document,
            LAYOUT,
            is_header,
            "项目名称…绩效指标",
            "项目名称（资金使用单位）|总计|…|绩效目标|绩效指标",
        )

    def interpret(self, document: Document) -> SourceTable:
        """Every project row of every sheet that has the header (each sheet may be another
        department's table)."""
        found = [(s, r) for s in grid_sheets(document) if (r := find_header(s, is_header)) is not None]
        if not found:
            raise fail(Position(document.file_name), "no header row 项目名称（资金使用单位）…绩效指标")
        tables = [_SheetParser(document, sheet, row).parse(first) for sheet, row, first in _offsets(found)]
        projects = tuple(p for t in tables for p in t.projects)
        if not projects:
            sheet, row = found[0]
            raise fail(document.position(sheet, row), "the table has a header but no project row")
        if len(tables) == 1:
            return tables[0]
        # A workbook of several departments' tables, one per sheet: each project keeps its own
        # sheet's department and district; the source names them all and keeps every sheet's
        # 合计 (labelled with its sheet) beside the unit subtotals, so each is still checked.
        totals = [
            replace(t.grand_total, label=f"合计（{sheet.name}）")
            for t, (sheet, _) in zip(tables, found, strict=True)
            if t.grand_total is not None
        ]
        return SourceTable(
            file_name=document.file_name,
            sha256=document.sha256,
            layout=LAYOUT,
            department="、".join(dict.fromkeys(t.department for t in tables if t.department)),
            district="、".join(dict.fromkeys(t.district for t in tables if t.district)),
            projects=projects,
            grand_total=None,
            unit_subtotals=(*totals, *(u for t in tables for u in t.unit_subtotals)),
        )


def _offsets(found: list[tuple[Sheet, int]]) -> list[tuple[Sheet, int, int]]:
    """Each sheet with its header row and the index its first project gets (ids stay unique)."""
    # Counting rows is a safe upper bound of the projects before a sheet.
    out, before = [], 0
    for sheet, row in found:
        out.append((sheet, row, before))
        before += sheet.n_rows
    return out


class _SheetParser:
    def __init__(self, document: Document, sheet: Sheet, header_row: int) -> None:
        self.document = document
        self.sheet = sheet
        self.header_row = header_row
        self.file = document.file_name

    def at(self, row: int, col: int | None = None) -> Position:
        return self.document.position(self.sheet, row, col)

    def parse(self, first_seq: int) -> SourceTable:
        sheet, header_row = self.sheet, self.header_row
        check_not_cut(self.document, sheet, text_layout=False)
        preamble = preamble_lines(sheet, header_row)
        department = find_department(preamble, self.at(header_row))
        check_money_unit(preamble, self.at(header_row))
        header = [canonical(c) for c in sheet.rows[header_row]]
        while header and not header[-1]:
            header.pop()
        amount_cols = {i: AMOUNT_COLUMNS[h] for i, h in enumerate(header) if h in AMOUNT_COLUMNS}
        goal_col, ind_col = header.index("绩效目标"), header.index("绩效指标")
        district = district_for(department, self.at(header_row))
        projects: list[Project] = []
        grand_total: Subtotal | None = None
        total_at: Position | None = None
        units: list[_Unit] = []
        padded = pads_rows(sheet)
        for r, cells in table_rows(sheet, header_row + 1):
            if not any(c.strip() for c in cells) or is_header(cells):  # blank, or the header repeated
                continue
            check_tab_width(self.document, sheet, r, len(header), padded=padded)
            where = self.at(r)
            name = canonical(cells[0]).strip()
            if not name:
                raise fail(where, "row without a project name")
            values: dict[str, Decimal | None] = {f: None for f in AMOUNT_COLUMNS.values()}
            for col, name_of_field in amount_cols.items():
                values[name_of_field] = parse_amount(cells[col], self.at(r, col))
            amounts = amounts_from(values)
            goal_raw = display(cells[goal_col])
            indicators_raw = cells[ind_col]
            if name == "合计":
                grand_total, total_at = Subtotal("合计", line_number(where), amounts, ()), where
                continue
            if not goal_raw and not display(indicators_raw):
                if amounts.total is None:
                    raise fail(where, f"row {name!r} has neither amounts, goal nor indicators")
                units.append(_Unit(name, r, line_number(where), amounts))
                continue
            pid = project_id(self.file, self.document.sha256, first_seq + len(projects), name)
            cell = self.at(r, ind_col)
            projects.append(
                Project(
                    id=pid,
                    source_file=self.file,
                    source_line=line_number(where),
                    district=district,
                    department=department,
                    budget_unit=units[-1].label if units else None,
                    name=name,
                    name_raw=display(cells[0]),
                    amounts=amounts,
                    goal=canonical(cells[goal_col]).strip(),
                    goal_raw=goal_raw,
                    indicators=parse_coded(indicators_raw, pid, lambda _k, _cell=cell: _cell),
                    origin=where,
                )
            )
            if units:
                units[-1].project_ids.append(pid)
        for unit in units:
            if not unit.project_ids:
                raise fail(
                    self.at(unit.row), f"unit subtotal {unit.label!r} is followed by no project (truncated?)"
                )
        if grand_total is not None:
            grand_total = Subtotal(
                "合计", grand_total.line, grand_total.amounts, tuple(p.id for p in projects)
            )
        table = SourceTable(
            file_name=self.file,
            sha256=self.document.sha256,
            layout=LAYOUT,
            department=department,
            district=district,
            projects=tuple(projects),
            grand_total=grand_total,
            unit_subtotals=tuple(Subtotal(u.label, u.line, u.amounts, tuple(u.project_ids)) for u in units),
        )
        check_grand_total(table, total_at)
        return enrich_table(table, [strip_html(line).strip() for line in preamble])
