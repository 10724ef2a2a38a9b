"""The tab-separated layout (city and 天河 tables).

::

    部门名称：广州市商务局
    单位：万元
    项目名称（资金使用单位）⇥总计⇥财政拨款⇥财政专户拨款⇥其他资金⇥绩效目标⇥绩效指标
    合计⇥101,132.26⇥100,969.66⇥⇥162.60⇥⇥
    广州市商务局⇥100,402.81⇥…⇥⇥            ← unit subtotal: amounts, no goal/indicators
    服务贸易专题⇥400.00⇥400.00⇥⇥⇥GOAL⇥1、1-产出指标；11-数量指标；…

Cells may carry stray ``<p>`` tags and wrap spaces; blank lines are ignored.
A row with fewer cells than the header is refused as truncated.
"""

from __future__ import annotations

from decimal import Decimal

from indexer.errors import ParseError
from indexer.parse.common import (
    AMOUNT_COLUMNS,
    amounts_from,
    check_money_unit,
    district_for,
    find_department,
    parse_amount,
    project_id,
    split_row,
)
from indexer.parse.indicators import parse_coded
from indexer.records import Amounts, Project, SourceTable, Subtotal
from indexer.text import canonical, display

LAYOUT = "tsv"


def is_header(line: str) -> bool:
    """True for the tab-separated header ``项目名称（资金使用单位）⇥总计⇥…⇥绩效指标``."""
    if "\t" not in line or "项目名称" not in line:
        return False
    cells = [canonical(c) for c in line.split("\t")]
    return cells[0].startswith("项目名称") and "总计" in cells and "绩效目标" in cells and "绩效指标" in cells


def parse(text: str, file_name: str, sha256: str) -> SourceTable:
    """Parse a tab-separated table."""
    lines = text.split("\n")
    header_at = next((i for i, line in enumerate(lines) if is_header(line)), None)
    if header_at is None:
        raise ParseError(file_name, None, "no tab-separated header line")
    department = find_department(lines, header_at, file_name)
    check_money_unit(lines, header_at, file_name)
    header = [canonical(c) for c in lines[header_at].rstrip("\r").split("\t")]
    while header and not header[-1]:
        header.pop()
    n_cols = len(header)
    amount_cols = {i: AMOUNT_COLUMNS[h] for i, h in enumerate(header) if h in AMOUNT_COLUMNS}
    goal_col = header.index("绩效目标")
    ind_col = header.index("绩效指标")
    district = district_for(department, file_name, None)

    projects: list[Project] = []
    grand_total: Subtotal | None = None
    units: list[tuple[str, int, Amounts, list[str]]] = []  # label, line, amounts, project ids

    for idx in range(header_at + 1, len(lines)):
        line_no = idx + 1
        line = lines[idx].rstrip("\r")
        if not line.strip() or is_header(line):  # blank, or the header repeated on a new page
            continue
        cells = split_row(line, n_cols, file=file_name, line_no=line_no)
        name_raw = display(cells[0])
        name = canonical(cells[0]).strip()
        if not name:
            raise ParseError(file_name, line_no, "row without a project name")
        values: dict[str, Decimal | None] = {f: None for f in AMOUNT_COLUMNS.values()}
        for col, field in amount_cols.items():
            values[field] = parse_amount(cells[col], file=file_name, line=line_no)
        amounts = amounts_from(values)
        goal_raw = display(cells[goal_col])
        indicators_raw = cells[ind_col]
        if name == "合计":
            grand_total = Subtotal("合计", line_no, amounts, ())
            continue
        if not goal_raw and not display(indicators_raw):
            if amounts.total is None:
                raise ParseError(file_name, line_no, f"row {name!r} has neither amounts, goal nor indicators")
            units.append((name, line_no, amounts, []))
            continue
        pid = project_id(file_name, sha256, len(projects), name)

        def line_of(_offset: int, _line: int = line_no) -> int:
            return _line

        indicators = parse_coded(indicators_raw, pid, file=file_name, line_of=line_of)
        projects.append(
            Project(
                id=pid,
                source_file=file_name,
                source_line=line_no,
                district=district,
                department=department,
                budget_unit=units[-1][0] if units else None,
                name=name,
                name_raw=name_raw,
                amounts=amounts,
                goal=canonical(cells[goal_col]).strip(),
                goal_raw=goal_raw,
                indicators=indicators,
            )
        )
        if units:
            units[-1][3].append(pid)

    for label, line, _, ids in units:
        if not ids:
            raise ParseError(
                file_name, line, f"unit subtotal {label!r} is followed by no project (truncated?)"
            )
    if grand_total is not None:
        grand_total = Subtotal("合计", grand_total.line, grand_total.amounts, tuple(p.id for p in projects))
    return SourceTable(
        file_name=file_name,
        sha256=sha256,
        layout=LAYOUT,
        department=department,
        district=district,
        projects=tuple(projects),
        grand_total=grand_total,
        unit_subtotals=tuple(Subtotal(label, line, a, tuple(ids)) for label, line, a, ids in units),
    )
