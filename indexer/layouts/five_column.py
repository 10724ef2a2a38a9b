"""The 5-column layout (花都 table): no amounts, level-1 indicators only.

::

    主管部门⇥预算单位⇥项目名称⇥绩效目标⇥绩效指标
    广州市花都区科技工业商务和信息化局⇥广州市花都区口岸服务保障中心⇥NAME⇥GOAL⇥1、产出指标：…，年度指标值：≥8000万元。

Every row names its own department (主管部门) and budget unit (预算单位); exports
merge runs of equal 主管部门/预算单位 cells, which the readers resolve. The table
has no amount columns (every :class:`Amounts` field is None), no 合计 row, and
its indicators carry no level-2 code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from indexer.enrich import enrich_table
from indexer.layouts.base import LayoutScore
from indexer.layouts.common import (
    check_not_cut,
    check_tab_width,
    district_for,
    fail,
    find_header,
    grid_sheets,
    header_row_score,
    line_number,
    pads_rows,
    preamble_lines,
    project_id,
    table_rows,
)
from indexer.layouts.indicators import parse_level1
from indexer.readers.base import Document, Position
from indexer.records import Amounts, Project, SourceTable
from indexer.text import canonical, display, strip_html

LAYOUT = "five_column"
HEADER = ("主管部门", "预算单位", "项目名称", "绩效目标", "绩效指标")


def is_header(cells: Sequence[str]) -> bool:
    """True for the row ``主管部门|预算单位|项目名称|绩效目标|绩效指标``."""
    if not cells or "主管部门" not in cells[0]:
        return False
    labels = [canonical(c) for c in cells]
    while labels and not labels[-1]:
        labels.pop()
    return tuple(labels) == HEADER


class FiveColumnTable:
    """Interpreter of the 5-column 主管部门/预算单位 table in any grid."""

    layout = LAYOUT

    def score(self, document: Document) -> LayoutScore:
        """1 when a grid sheet has the header row, else 0."""
        return header_row_score(
            document, LAYOUT, is_header, "主管部门…绩效指标", "主管部门|预算单位|项目名称|绩效目标|绩效指标"
        )

    def interpret(self, document: Document) -> SourceTable:
        """Every row under the header of every sheet that has it."""
        projects: list[Project] = []
        header_lines: list[str] = []
        found = False
        for sheet in grid_sheets(document):
            header_row = find_header(sheet, is_header)
            if header_row is None:
                continue
            found = True
            header_lines += [strip_html(line).strip() for line in preamble_lines(sheet, header_row)]
            check_not_cut(document, sheet, text_layout=False)
            padded = pads_rows(sheet)
            for r, cells in table_rows(sheet, header_row + 1):
                if not any(c.strip() for c in cells) or is_header(cells):
                    continue
                where = document.position(sheet, r)
                check_tab_width(document, sheet, r, len(HEADER), padded=padded)
                projects.append(
                    self._project(document, cells, where, len(projects), document.position(sheet, r, 4))
                )
        if not found:
            raise fail(Position(document.file_name), "no 主管部门/预算单位/项目名称/绩效目标/绩效指标 header")
        if not projects:
            raise fail(Position(document.file_name), "table has a header but no rows")
        department, _ = Counter(p.department for p in projects).most_common(1)[0]
        table = SourceTable(
            file_name=document.file_name,
            sha256=document.sha256,
            layout=LAYOUT,
            department=department,
            district=district_for(department, Position(document.file_name)),
            projects=tuple(projects),
            grand_total=None,
            unit_subtotals=(),
        )
        return enrich_table(table, header_lines)

    @staticmethod
    def _project(document: Document, cells: list[str], where: Position, seq: int, cell: Position) -> Project:
        department = canonical(cells[0]).strip()
        unit = canonical(cells[1]).strip() or None
        name = canonical(cells[2]).strip()
        if not department or not name:
            raise fail(where, "row without a 主管部门 or a 项目名称")
        pid = project_id(document.file_name, document.sha256, seq, name)
        return Project(
            id=pid,
            source_file=document.file_name,
            source_line=line_number(where),
            district=district_for(department, where),
            department=department,
            budget_unit=unit,
            name=name,
            name_raw=display(cells[2]),
            amounts=Amounts(),
            goal=canonical(cells[3]).strip(),
            goal_raw=display(cells[3]),
            indicators=parse_level1(cells[4], pid, lambda _k: cell),
            origin=where,
        )
