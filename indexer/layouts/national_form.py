"""The national one-form-per-project layout (项目支出绩效目标申报表 / 绩效目标表 / 部门专项申报表).

A form is a key–value header block (:mod:`indexer.layouts.header_block`) over an
indicator table (:mod:`indexer.layouts.indicator_block`). A document may hold several
forms: one per sheet, table or page, or one after another in the same grid; each gives
a project. The region is not resolved here: ``Project.district`` gets the most specific
place name printed (unit, department, title), and a form naming none is read all the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import PurePath

from indexer.enrich import enrich_project
from indexer.errors import ParseError
from indexer.layouts.base import LayoutScore
from indexer.layouts.common import project_id
from indexer.layouts.form_common import clean_org, document_table, org_like, place_hint
from indexer.layouts.header_block import HeaderBlock, field_of_label, read_header_block
from indexer.layouts.indicator_block import (
    Row,
    has_project_column,
    indicators_of,
    is_indicator_header,
    read_columns,
    read_rows,
)
from indexer.layouts.sheet_view import SheetView, squeeze
from indexer.readers.base import Document
from indexer.records import Project, SourceTable
from indexer.text import canonical, display

__all__ = ["LAYOUT", "NationalFormInterpreter", "find_header_rows", "starts_form", "title_name"]

LAYOUT = "national_form"
_TITLE = re.compile(r"(?:绩效目标|绩效指标|目标)(?:申报|审批|申请)?表|申报表$")
_FORM_WORDS = re.compile(r"(?:项目)?(?:支出)?(?:预算)?绩效(?:目标|评价|自评|指标)")
_TRAILING_PAREN = re.compile(r"表\s*[（(]([^（）()]{4,})[）)]\s*$")
_START_KINDS = ("name", "department0", "department1", "department2")
_CYCLE_TABLE = re.compile(r"长期|中期|实施期|周期")
_ANNUAL_TABLE = re.compile(r"年度|本年|当年")
_YEAR_WORDS = re.compile(r"\d{4}\s*年度?")
# A whole-department form (部门整体支出绩效目标表 / 整体绩效目标表): its "project" is the department's
# whole expenditure, named after the department.
_WHOLE = re.compile(r"整体(?:支出)?$")
# 整体绩效目标表, 整体支出绩效…, 整体预算绩效…; some templates put 项目 between (整体支出项目绩效目标申报表).
_WHOLE_FORM = re.compile(r"整体(?:支出)?(?:预算)?(?:项目)?绩效")
_PROJECT_FORM = re.compile(r"项目(?:支出)?绩效目标")
_ATTACHMENT = re.compile(r"^\s*(?:附件|附表|表)\s*[\d一二三四五六七八九十]*\s*[.．、:：_\-—]*\s*")


def find_header_rows(view: SheetView) -> list[int]:
    """Rows heading a national form's indicator table (not a long table's)."""
    return [r for r in range(view.n_rows) if is_indicator_header(view, r) and not has_project_column(view, r)]


def title_name(texts: list[str]) -> str:
    """A project name read from a form's title when its header block names none:
    ``绩效目标表(甘孜…机关 食品安全工作)`` → the bracketed part,
    ``2019年度宁晋县高中助学金项目绩效评价指标表`` → the part before the form words,
    ``某中心2023年度整体绩效目标表`` (a whole-department form) → ``某中心整体支出``."""
    for text in texts:
        m = _TRAILING_PAREN.search(text)
        if m:
            return m.group(1).strip()
        head = _FORM_WORDS.split(text, maxsplit=1)[0].strip()
        if len(squeeze(head)) >= 4 and head != text.strip():
            return _whole_name(head) if _WHOLE.search(head) else head
    return ""


def file_name(document: Document) -> str:
    """A project name read from the file's name when the form prints none in its header block
    or title: ``附件2：某某专项资金绩效目标表.xlsx`` → ``某某专项资金`` (a stem without the form
    words names no project)."""
    stem = _ATTACHMENT.sub("", PurePath(document.file_name).stem)
    return title_name([stem]) if _FORM_WORDS.search(stem) else ""


def _whole_name(head: str) -> str:
    """``岳阳楼区价格认证鉴定中心2023年度整体`` → ``岳阳楼区价格认证鉴定中心整体支出``."""
    name = _WHOLE.sub("", _YEAR_WORDS.sub("", head)).strip()
    return f"{name}整体支出" if name else ""


@dataclass(frozen=True, slots=True)
class _Head:
    """Rows holding a header block without its indicator table (which follows in the next sheet)."""

    view: SheetView
    start: int
    end: int
    preamble: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Form:
    view: SheetView
    start: int
    header_row: int
    end: int
    rows: tuple[Row, ...]


def starts_form(view: SheetView, row: int, header_texts: list[str]) -> bool:
    """True when a row begins something new after an indicator table: a form title, a 项目名称 or
    主管部门 label in the first columns, or a different indicator header."""
    cells = [c for c in view.cells(row) if not view.continues_above(row, c.col)]
    if not cells:
        return False
    if len(cells) == 1 and len(cells[0].text) <= 60 and _TITLE.search(squeeze(cells[0].text)):
        return True
    if cells[0].col <= 1 and field_of_label(cells[0].text) in _START_KINDS:
        return True
    return is_indicator_header(view, row) and [squeeze(t) for t in view.sheet.rows[row]] != header_texts


def _continues(view: SheetView, above: _Form, header_row: int) -> bool:
    """True when the indicator table headed at ``header_row`` belongs to the form above it: no
    title, 项目名称 or 主管部门 between them (佳县/宁乡: 长期绩效指标 then 年度绩效指标)."""
    for r in range(above.end, header_row):
        cells = [c for c in view.cells(r) if not view.continues_above(r, c.col)]
        if any(field_of_label(c.text) in _START_KINDS for c in cells):
            return False
        if len(cells) == 1 and len(cells[0].text) <= 60 and _TITLE.search(squeeze(cells[0].text)):
            return False
    return True


def _table_period(view: SheetView, header_row: int) -> str | None:
    """``"cycle"`` for a table headed 长期/中期/实施期 …, ``"annual"`` for 年度 …, else None."""
    texts = [squeeze(c.text) for c in view.cells(header_row)]
    above = view.cells(header_row - 1) if header_row > 0 else []
    joined = "".join(texts + ([squeeze(above[0].text)] if len(above) == 1 else []))
    cycle, annual = _CYCLE_TABLE.search(joined), _ANNUAL_TABLE.search(joined)
    return "cycle" if cycle and not annual else "annual" if annual and not cycle else None


def _joined_tables(view: SheetView, first: _Form, second: _Form) -> _Form:
    """Two indicator tables of one form as one: a 长期 table's values are the cycle values of the
    年度 table's indicators of the same category and name; an indicator of one table only is kept."""
    periods = (_table_period(view, first.header_row), _table_period(view, second.header_row))
    if sorted(periods, key=str) != ["annual", "cycle"]:
        return _Form(view, first.start, first.header_row, second.end, first.rows + second.rows)
    cycle_rows, annual_rows = first.rows, second.rows
    if periods[0] != "cycle":
        cycle_rows, annual_rows = annual_rows, cycle_rows
    by_key: dict[tuple, Row] = {}
    for row in cycle_rows:
        by_key.setdefault((row.level, squeeze(row.name)), row)
    rows, used = [], set()
    for row in annual_rows:
        match = by_key.get((row.level, squeeze(row.name)))
        if match is not None and id(match) not in used:
            used.add(id(match))
            row = replace(row, cycle_value=match.annual_value)
        rows.append(row)
    rest = [r for r in cycle_rows if id(r) not in used]
    rows += [replace(r, cycle_value=r.annual_value, annual_value=None) for r in rest]
    return _Form(view, first.start, first.header_row, second.end, tuple(rows))


def _forms(view: SheetView) -> list[_Form]:
    forms: list[_Form] = []
    start = 0
    for header in find_header_rows(view):
        if header < start:
            continue
        texts = [squeeze(view.text(header, c)) for c in range(view.n_cols)]
        columns = read_columns(view, header, range(header + 1, view.n_rows))
        rows, end = read_rows(
            view, columns, range(header + 1, view.n_rows), lambda r, t=texts: starts_form(view, r, t)
        )
        form = _Form(view, start, header, end, tuple(rows))
        if forms and _continues(view, forms[-1], header):
            form = _joined_tables(view, forms.pop(), form)
        forms.append(form)
        start = end
    return forms


class NationalFormInterpreter:
    """The national one-form-per-project layout."""

    layout = LAYOUT

    def score(self, document: Document) -> LayoutScore:
        """0.95 with an indicator table under a 项目名称/主管部门 block, 0.7 for the table alone."""
        best, reason = 0.0, "no 一级/二级/三级指标 | 指标值 table"
        for sheet in document.sheets:
            view = SheetView(document, sheet)
            for header in find_header_rows(view):
                above = range(max(0, header - 40), header)
                labelled = any(field_of_label(c.text) in _START_KINDS for r in above for c in view.cells(r))
                score = 0.95 if labelled else 0.7
                if score > best:
                    what = "under a 项目名称/主管部门 block" if labelled else "without a header block"
                    best, reason = score, f"indicator table at {view.position(header)} {what}"
                if best >= 0.95:
                    return LayoutScore(LAYOUT, best, reason)
        return LayoutScore(LAYOUT, best, reason)

    def interpret(self, document: Document) -> SourceTable:
        """Every form of every sheet as a project, in document order.

        A header block printed as a table (or sheet) of its own, with the indicator table in the
        next one, is read as one form with it (Word forms split in two tables). One that no
        indicator table follows (a form cut before it) is a project without indicators, when the
        document holds other forms; nothing it names is dropped."""
        projects: list[Project] = []
        cut: list[tuple[int, _Head]] = []  # (place among the projects, header block without table)
        carried: _Head | None = None
        for sheet in document.sheets:
            view = SheetView(document, sheet)
            forms = _forms(view)
            if not forms and sheet.kind == "page":
                continue  # a PDF page's text layer beside its tables: the tables hold the forms
            if not forms and carried is not None:
                cut.append((len(projects), carried))
            for k, form in enumerate(forms):
                preamble = sheet.preamble if k == 0 else ()
                projects.append(
                    _project(document, form, preamble, len(projects), carried if k == 0 else None)
                )
            start = forms[-1].end if forms else 0
            names_a_project = any(
                field_of_label(c.text) == "name" for r in range(start, view.n_rows) for c in view.cells(r)
            )
            carried = (
                _Head(view, start, view.n_rows, sheet.preamble if not forms else ())
                if names_a_project
                else None
            )
        if carried is not None:
            cut.append((len(projects), carried))
        if projects:
            seq = len(projects)
            for k, (place, head) in reversed(list(enumerate(cut))):
                form = _Form(head.view, head.start, head.end, head.end, ())
                projects.insert(place, _project(document, form, head.preamble, seq + k))
        return document_table(
            document,
            LAYOUT,
            projects,
            "no national form found: expected a table headed 一级指标 | 二级指标 | 三级指标 | 指标值",
        )


def _project(
    document: Document, form: _Form, preamble: tuple[str, ...], seq: int, head: _Head | None = None
) -> Project:
    view = form.view
    block: HeaderBlock = read_header_block(view, form.start, form.header_row, preamble)
    parts = [(view, form.start, form.header_row, preamble)]
    if block.name is None and head is not None:  # the form's header block is the table before it
        block = read_header_block(head.view, head.start, head.end, head.preamble)
        parts.insert(0, (head.view, head.start, head.end, head.preamble))
    head_view = parts[0][0]
    single = [cells for v, a, b, _ in parts for r in range(a, b) if len(cells := v.cells(r)) == 1]
    preambles = [line for *_, lines in parts for line in lines]
    titles = [*preambles, *(cells[0].text for cells in single if len(cells[0].text) <= 60)]
    region_cells = [c.text for v, a, b, _ in parts for r in range(a, b) for c in v.cells(r)]
    orgs = [t for t in (*preambles, *region_cells) if org_like(t) and field_of_label(t) is None]
    department = clean_org(block.department) or (clean_org(orgs[0]) if orgs else "")
    name_raw = block.name.text if block.name is not None else title_name(titles) or file_name(document)
    whole = any(_WHOLE_FORM.search(squeeze(t)) for t in titles)
    if block.name is None and department and (whole or not name_raw):
        # A whole-department form (or a form naming a department but no project): the department's
        # whole expenditure — unless its title calls it a project's form (海南 项目绩效目标表).
        project_form = not whole and any(_PROJECT_FORM.search(squeeze(t)) for t in titles)
        name_raw = f"{department}项目" if project_form else f"{department}整体支出"
    if not name_raw:
        raise ParseError(
            document.file_name,
            None,
            "expected a 项目名称 or 专项名称 in the form's header block (or a project named in its title)",
            position=view.position(form.header_row),
        )
    name = canonical(name_raw).strip()
    pid = project_id(document.file_name, document.sha256, seq, name)
    indicators = indicators_of(view, pid, form.rows)
    origin_row, origin_col = (
        (block.name.row, block.name.col) if block.name is not None else (form.header_row, 0)
    )
    project = Project(
        id=pid,
        source_file=document.file_name,
        source_line=origin_row + 1,
        district=place_hint([*block.places, *orgs, *titles, name_raw]),
        department=department,
        budget_unit=clean_org(block.budget_unit) or None,
        name=name,
        name_raw=display(name_raw),
        amounts=block.amounts,
        goal=joined_goal(block.goal),
        goal_raw=display(block.goal),
        indicators=indicators,
        origin=(head_view if block.name is not None else view).position(origin_row, origin_col),
    )
    # Region and year from this form's own lines (the document's are the preamble of its first form).
    return enrich_project(project, own_lines=[*titles, block.period])


def joined_goal(text: str) -> str:
    """A goal's lines as one text: its parts joined with ；, but a lead-in part ending in a colon
    (达成以下目标：) runs on into the next without one."""
    out = ""
    for part in (canonical(p).strip().rstrip("；") for p in text.split("\n")):
        if part:
            out += part if not out or out.endswith(("：", ":")) else "；" + part
    return out
