"""The 5-column layout (花都 table): no amounts, level-1 indicators only.

::

    主管部门⇥预算单位⇥项目名称⇥绩效目标⇥绩效指标
    广州市花都区科技工业商务和信息化局⇥广州市花都区口岸服务保障中心⇥NAME⇥GOAL⇥1、产出指标：…，年度指标值：≥8000万元。

Every row names its own department (主管部门) and budget unit (预算单位).
The table has no amount columns (every :class:`Amounts` field is None), no
合计 row, and its indicators carry no level-2 code.
"""

from __future__ import annotations

from collections import Counter

from indexer.errors import ParseError
from indexer.parse.common import district_for, project_id, split_row
from indexer.parse.indicators import parse_level1
from indexer.records import Amounts, Project, SourceTable
from indexer.text import canonical, display

LAYOUT = "five_column"
HEADER = ("主管部门", "预算单位", "项目名称", "绩效目标", "绩效指标")


def is_header(line: str) -> bool:
    """True for ``主管部门⇥预算单位⇥项目名称⇥绩效目标⇥绩效指标``."""
    if "\t" not in line or "主管部门" not in line:
        return False
    cells = [canonical(c) for c in line.split("\t")]
    while cells and not cells[-1]:
        cells.pop()
    return tuple(cells) == HEADER


def parse(text: str, file_name: str, sha256: str) -> SourceTable:
    """Parse a 5-column table."""
    lines = text.split("\n")
    header_at = next((i for i, line in enumerate(lines) if is_header(line)), None)
    if header_at is None:
        raise ParseError(file_name, None, "no 主管部门/预算单位/项目名称/绩效目标/绩效指标 header")
    n_cols = len(HEADER)
    projects: list[Project] = []
    for idx in range(header_at + 1, len(lines)):
        line_no = idx + 1
        line = lines[idx].rstrip("\r")
        if not line.strip():
            continue
        cells = split_row(line, n_cols, file=file_name, line_no=line_no)
        department = canonical(cells[0]).strip()
        unit = canonical(cells[1]).strip() or None
        name = canonical(cells[2]).strip()
        if not department or not name:
            raise ParseError(file_name, line_no, "row without a 主管部门 or a 项目名称")
        district = district_for(department, file_name, line_no)
        pid = project_id(file_name, sha256, len(projects), name)

        def line_of(_offset: int, _line: int = line_no) -> int:
            return _line

        projects.append(
            Project(
                id=pid,
                source_file=file_name,
                source_line=line_no,
                district=district,
                department=department,
                budget_unit=unit,
                name=name,
                name_raw=display(cells[2]),
                amounts=Amounts(),
                goal=canonical(cells[3]).strip(),
                goal_raw=display(cells[3]),
                indicators=parse_level1(cells[4], pid, file=file_name, line_of=line_of),
            )
        )
    if not projects:
        raise ParseError(file_name, None, "table has a header but no rows")
    department, _ = Counter(p.department for p in projects).most_common(1)[0]
    return SourceTable(
        file_name=file_name,
        sha256=sha256,
        layout=LAYOUT,
        department=department,
        district=district_for(department, file_name, None),
        projects=tuple(projects),
        grand_total=None,
        unit_subtotals=(),
    )
