"""The long table: one row per indicator, the project's name, unit, budget and goal beside it.

``项目名称 | 项目单位 | 预算数 | 年度绩效目标 | 一级指标 | 二级指标 | 三级指标 | 指标方向 | 目标值 |
计量单位 …`` (扎赉特旗 表11, 井研县 部门预算项目绩效目标申报表): the project columns are merged down
over the project's rows or printed on its first row only (or repeated on every row); a
new text in the 项目名称 column starts the next project. A row with a budget but no
project name and no indicator is a unit subtotal (``820-马踏镇部门 8,827,620.53``). The
indicator columns are read as in a national form (:mod:`indexer.layouts.indicator_block`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.enrich import enrich_project
from indexer.errors import ParseError
from indexer.layouts.base import LayoutScore
from indexer.layouts.common import project_id
from indexer.layouts.form_common import clean_org, document_table, place_hint
from indexer.layouts.header_block import field_of_label, parse_money
from indexer.layouts.indicator_block import (
    Row,
    has_project_column,
    indicators_of,
    is_indicator_header,
    read_columns,
    read_rows,
)
from indexer.layouts.national_form import starts_form
from indexer.layouts.sheet_view import SheetView, squeeze
from indexer.readers.base import Document
from indexer.records import Amounts, Project, SourceTable, Subtotal
from indexer.text import canonical, display

__all__ = ["LAYOUT", "LongTableInterpreter"]

LAYOUT = "long_table"
_SHEET_UNIT = re.compile(r"(?:金额)?单位[：:](万元|元)")
_TOTALS = frozenset({"合计", "总计", "小计", "合计数"})
_DEPARTMENT_COLUMN = re.compile(r"^(?:项目|预算|实施)?单位(?:名称)?$|^(?:部门|主管部门)(?:名称)?$")


@dataclass(frozen=True, slots=True)
class _ProjectColumns:
    name: int
    department: int | None
    goal: int | None
    amounts: dict[str, int]
    unit: str  # 万元 or 元, from the header or the 单位 line above the table


@dataclass
class _Draft:
    row: int
    col: int
    name: str
    department: str
    goal: str
    amounts: Amounts
    rows: list[Row] = field(default_factory=list)


def _header_rows(view: SheetView) -> list[int]:
    return [r for r in range(view.n_rows) if is_indicator_header(view, r) and has_project_column(view, r)]


def _project_columns(view: SheetView, header: int, preamble: tuple[str, ...]) -> _ProjectColumns:
    name = department = goal = None
    amounts: dict[str, int] = {}
    above = [view.text(r, c) for r in range(header) for c in range(view.n_cols)]
    unit = next((m.group(1) for t in (*preamble, *above) if (m := _SHEET_UNIT.search(squeeze(t)))), "万元")
    for cell in view.cells(header):
        key = squeeze(cell.text)
        kind = field_of_label(cell.text) or ""
        if kind == "name" and name is None:
            name = cell.col
        elif _DEPARTMENT_COLUMN.match(key) and department is None:
            department = cell.col
        elif kind == "goal" and goal is None:
            goal = cell.col
        elif kind.startswith("amount:"):
            amounts.setdefault(kind[7:], cell.col)
            if m := re.search(r"（(万元|元)）", key):
                unit = m.group(1)
    assert name is not None  # has_project_column found it
    return _ProjectColumns(name, department, goal, amounts, unit)


def _amounts(view: SheetView, row: int, columns: _ProjectColumns) -> Amounts:
    values = {}
    printed = None
    for field_name, col in columns.amounts.items():
        money = parse_money(view.text(row, col), columns.unit, view.position(row, col))
        if money is not None:
            values[field_name] = money[0]
            printed = money[1] if money[1] != "万元" else printed
    return Amounts(**values, printed_unit=printed)


class LongTableInterpreter:
    """One row per indicator with the project beside it."""

    layout = LAYOUT

    def score(self, document: Document) -> LayoutScore:
        """0.95 for an indicator table whose header row also has a 项目名称 column."""
        for sheet in document.sheets:
            view = SheetView(document, sheet)
            headers = _header_rows(view)
            if headers:
                return LayoutScore(
                    LAYOUT, 0.95, f"项目名称 beside the indicator columns at {view.position(headers[0])}"
                )
        return LayoutScore(LAYOUT, 0.0, "no indicator table with a 项目名称 column")

    def interpret(self, document: Document) -> SourceTable:
        """Every project of every long table of the document, in order."""
        projects: list[Project] = []
        subtotals: list[Subtotal] = []
        totals: list[Subtotal] = []
        for sheet in document.sheets:
            view = SheetView(document, sheet)
            for header in _header_rows(view):
                self._table(document, view, header, projects, subtotals, totals)
        return document_table(
            document,
            LAYOUT,
            projects,
            "no long table found: expected a header row with 项目名称 and "
            "一级指标 | 二级指标 | 三级指标 | 指标值",
            grand_total=(
                Subtotal("合计", totals[0].line, totals[0].amounts, tuple(p.id for p in projects))
                if totals
                else None
            ),
            unit_subtotals=tuple(subtotals),
        )

    def _table(
        self,
        document: Document,
        view: SheetView,
        header: int,
        projects: list[Project],
        subtotals: list[Subtotal],
        totals: list[Subtotal],
    ) -> None:
        """Append the projects of the table headed at ``header``, its unit subtotals and 合计 rows."""
        columns = _project_columns(view, header, view.sheet.preamble)
        texts = [squeeze(view.text(header, c)) for c in range(view.n_cols)]
        body = range(header + 1, view.n_rows)
        block = read_columns(view, header, body)
        rows, end = read_rows(view, block, body, lambda r: starts_form(view, r, texts))
        by_row = {row.row: row for row in rows}
        drafts: list[_Draft] = []
        pending: list[Subtotal] = []
        for r in range(header + 1, end):
            name = view.text(r, columns.name)
            department = view.text(r, columns.department) if columns.department is not None else ""
            if not department and name and drafts:
                department = drafts[-1].department  # printed on the first project's row only
            if name and (not drafts or name != drafts[-1].name):
                goal = view.text(r, columns.goal) if columns.goal is not None else ""
                drafts.append(_Draft(r, columns.name, name, department, goal, _amounts(view, r, columns)))
            elif not name and r not in by_row and department and not view.continues_above(r, columns.name):
                amounts = _amounts(view, r, columns)
                if amounts.total is not None:  # a unit's subtotal row
                    pending.append(Subtotal(canonical(department), r + 1, amounts, ()))
            if r in by_row:
                if not drafts:
                    raise ParseError(
                        document.file_name,
                        None,
                        "expected a project name in the 项目名称 column on or above the first indicator row",
                        position=view.position(r, columns.name),
                    )
                drafts[-1].rows.append(by_row[r])
        for draft in (d for d in drafts if not d.rows and squeeze(d.name) in _TOTALS):
            totals.append(Subtotal("合计", draft.row + 1, draft.amounts, ()))
        units: list[tuple[Subtotal, list[str]]] = []
        events = sorted([(d.row, d) for d in drafts] + [(t.line - 1, t) for t in pending], key=lambda e: e[0])
        for _, item in events:
            if isinstance(item, Subtotal):
                units.append((item, []))
            elif item.rows or squeeze(item.name) not in _TOTALS:
                projects.append(self._project(document, view, header, item, len(projects)))
                if units:
                    units[-1][1].append(projects[-1].id)
        subtotals.extend(Subtotal(u.label, u.line, u.amounts, tuple(ids)) for u, ids in units)

    @staticmethod
    def _project(document: Document, view: SheetView, header: int, draft: _Draft, seq: int) -> Project:
        name = canonical(draft.name).strip()
        pid = project_id(document.file_name, document.sha256, seq, name)
        indicators = indicators_of(view, pid, draft.rows)
        department = clean_org(draft.department)
        project = Project(
            id=pid,
            source_file=document.file_name,
            source_line=draft.row + 1,
            district=place_hint([draft.department, *view.sheet.preamble, name]),
            department=department,
            budget_unit=None,
            name=name,
            name_raw=display(draft.name),
            amounts=draft.amounts,
            goal=canonical(draft.goal).strip(),
            goal_raw=display(draft.goal),
            indicators=indicators,
            origin=view.position(draft.row, draft.col),
        )
        above = [c.text for r in range(header) for c in view.cells(r)]
        return enrich_project(project, header_lines=[*view.sheet.preamble, *above])
