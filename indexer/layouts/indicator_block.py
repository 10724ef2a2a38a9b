"""The indicator table of a national form: 一级 | 二级 | 三级 | 指标值, with its printed variants.

The header row names the columns (三级指标, 指标内容 or 指标名称 for the indicator; 指标值,
目标值, 年度数值 …; a value split over 指标性质/指标方向 | 目标值 | 计量单位 is joined; 分值,
权重, 完成值, 备注 … are left out; the old framework's 全年绩效目标 is the value, its 绩效内容 the
indicator). Column roles are checked against the body: a column headed 指标名称 whose cells are
level-2 labels (临海) is the level-2 column; a column headed 评价指标 whose cells are level-2 labels
(数量目标, 福建 2017) is the level-2 column when the one left of it holds the level-1 labels. Two column
groups (二级 | 三级 | 指标值 twice) are the 中期/长期 and the 年度 targets; separate
实施期 and 年度 value columns likewise. Label cells are filled down (a delimited file
loses the merges). The block ends at a note or sign-off row, a new form, or the sheet's end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from indexer.errors import ParseError
from indexer.layouts.form_common import is_comparator, join_value, make_indicator
from indexer.layouts.labels import Level, classify, level2_label
from indexer.layouts.level_columns import content_column, is_level1_text, level_columns_by_content
from indexer.layouts.sheet_view import SheetView, squeeze
from indexer.records import Indicator, Target

__all__ = ["BlockColumns", "Row", "indicators_of", "is_indicator_header", "read_columns", "read_rows"]

_IGNORED = re.compile(
    r"完成|实际|得分|分值|权重|备注|标准|解释|说明|偏差|方向性|依据|来源|评分|上年|基期|历史"
)
_NAME_HEADERS = (
    "三级",
    "指标内容",
    "指标名称",
    "具体指标",
    "绩效指标名称",
    "指标",
    "指标描述",
    "绩效指标描述",
    "绩效内容",
)
_DIRECTION = frozenset(
    {"指标性质", "指标方向", "计算符号", "符号", "运算符号", "比较符", "指标值类型", "值类型"}
)
_UNIT = frozenset({"计量单位", "度量单位", "单位", "指标单位"})
_EXPLAINS = re.compile(r"(?:说明|解释|依据|来源|备注)$")
_CYCLE = re.compile(r"长期|中期|实施期|周期")
_ANNUAL = re.compile(r"年度|本年|当年")
_AFTER_TABLE = re.compile(
    r"意见|盖章|说明|^注|填表|填报|审核|签字|签章|日期|联系|负责人|总分|合计|备注|其他需"
)
_PROJECT_COLUMN = re.compile(r"^(?:项目|专项|项目支出)名称$")
# The old framework's value heading (全年绩效目标): a target with no 值 in its heading.
_TARGET_HEADER = re.compile(r"^(?:全年|年度|本年度?|当年|预期|计划)(?:绩效)?目标$")


def _role(header: str) -> str | None:
    header = header.strip("*★※")  # required-field marks (*指标值, 一级指标*)
    if header.startswith("绩效") and header[2:] in _DIRECTION | _UNIT:
        header = header[2:]  # 海南: 绩效指标性质 | 绩效指标值 | 绩效度量单位
    h = re.sub(r"（[^（）]*）$", "", header) if not header.startswith("指标值") else header
    if not h or (_IGNORED.search(header) and not header.startswith(("指标值", "目标值"))):
        return None
    if _EXPLAINS.search(h):
        return None  # 指标值说明 explains the value: no target column
    if h.startswith("一级") or h in ("指标类型", "评价指标"):
        return "level1"
    if h.startswith("二级") or h == "评价内容":
        return "level2"
    if h.startswith("三级") or h in _NAME_HEADERS:
        return "name"
    if h in _DIRECTION:
        return "direction"
    if "指标值" in h or "目标值" in h or (h.endswith("值") and len(h) <= 12) or _TARGET_HEADER.match(h):
        return "value"  # 指标值, 目标值, 年度数值, 当年预期实现值, 全年绩效目标 …
    if h in _UNIT:
        return "unit"
    return None


def is_indicator_header(view: SheetView, row: int) -> bool:
    """True for a row heading an indicator table (a value column and a level or indicator column),
    or printing 一级 | 二级 | 三级 with columns after the indicator named by place and no value
    heading (秀屿)."""
    texts = {cell.col: squeeze(cell.text) for cell in view.cells(row)}
    roles = {col: role for col, text in texts.items() if (role := _role(text)) is not None}
    if "value" in roles.values() and set(roles.values()) & {"level1", "level2", "name"}:
        # every value heading (指标值, 年度数值, 全年绩效目标 …) has a 值 or 目标
        return any(("值" in text or "目标" in text) and len(text) <= 40 for text in view.sheet.rows[row])
    return bool(_named_value_columns(roles, texts))


def _named_value_columns(roles: dict[int, str], texts: dict[int, str]) -> list[int]:
    """The columns after the indicator column headed by what no role names (笏石街道办 | 埭头镇: one
    target per place, no 目标值 heading above them) when the header prints 一级, 二级 and 三级 and no
    value heading: the target columns."""
    if "value" in roles.values() or not {"level1", "level2", "name"} <= set(roles.values()):
        return []
    name = max(c for c, r in roles.items() if r == "name")
    return [
        c
        for c, text in sorted(texts.items())
        if c > name and c not in roles and text and len(text) <= 16 and not _IGNORED.search(text)
    ]


def has_project_column(view: SheetView, row: int) -> bool:
    """True when an indicator header row also has a 项目名称 column (a long table)."""
    return any(_PROJECT_COLUMN.match(squeeze(cell.text)) for cell in view.cells(row))


@dataclass(frozen=True, slots=True)
class Group:
    """One 二级 | 三级 | 指标值 column group; ``period`` is ``"annual"`` or ``"cycle"``.

    A value may be split over a direction (``≥``/``大于等于``; 正向/定性 are not part of it), the
    value proper and a unit column; ``cycle_value`` is a separate 实施期 value column.
    """

    level2: int | None
    name: int | None
    value: int | None
    direction: int | None = None
    unit: int | None = None
    cycle_value: int | None = None
    period: str = "annual"
    spread: tuple[tuple[int, str], ...] = ()
    """A value header spanning several columns named by a second header row (区域目标值 over
    新罗区 | 永定区 | …): each column with its name."""


@dataclass(frozen=True, slots=True)
class BlockColumns:
    """Where an indicator table's parts are."""

    header_row: int
    level1: int | None
    groups: tuple[Group, ...]
    header_texts: tuple[str, ...] = field(default_factory=tuple)
    sub_header: int | None = None  # the second header row naming the spread value columns


def read_columns(view: SheetView, header_row: int, body: range) -> BlockColumns:
    """The column roles of the indicator table headed at ``header_row`` (body rows ``body``)."""
    roles: dict[int, str] = {}
    texts: dict[int, str] = {}
    for cell in view.cells(header_row):
        text = squeeze(cell.text)
        role = _role(text)
        texts[cell.col] = text
        if role is not None:
            roles[cell.col] = role
    if any(r == "value" and "值" in texts[c] for c, r in roles.items()):
        # 年度目标 beside a 指标值 column is the project's goal (long tables), not a target column.
        roles = {c: r for c, r in roles.items() if r != "value" or "值" in texts[c]}
    roles |= dict.fromkeys(_named_value_columns(roles, texts), "value")
    level2s = [c for c, r in roles.items() if r == "level2"]
    if not level2s:  # 临海: the column headed 指标名称 holds the level-2 labels
        candidates = [c for c, r in roles.items() if r in ("name", None)]
        col = content_column(view, body, sorted(candidates), level2_label)
        if col is not None:
            roles[col] = "level2"
            level2s = [col]
    level1s = [c for c, r in roles.items() if r == "level1"]
    if not level1s:
        first = min(level2s) if level2s else view.n_cols
        left = [c for c in range(first) if c not in roles]
        col = content_column(view, body, left, is_level1_text)
        level1s = [col] if col is not None else []
    level1 = min(level1s) if level1s else None
    level1, level2s = level_columns_by_content(view, body, roles, level1, level2s)
    if level1 is None and not level2s and "name" not in roles.values():
        raise ParseError(
            view.document.file_name,
            None,
            "expected 一级指标/二级指标 or 三级指标/指标名称 columns in the indicator table",
            position=view.position(header_row),
        )
    edges = sorted(level2s) or [level1 + 1 if level1 is not None else 0]
    groups = []
    for k, start in enumerate(edges):
        stop = edges[k + 1] if k + 1 < len(edges) else view.n_cols
        groups.append(_group(roles, texts, start, stop, level2=start if level2s else None))
    if len(groups) > 1:
        periods = [_period(texts, g) for g in groups]
        if not any(periods):
            periods = ["cycle"] * (len(groups) - 1) + ["annual"]
        groups = [replace(g, period=p or "annual") for g, p in zip(groups, periods, strict=True)]
    last = groups[-1]
    spread = _spread(view, header_row, last.value) if last.value is not None else ()
    if spread:
        groups[-1] = replace(last, spread=spread)
    sub_header = header_row + 1 if spread else None
    return BlockColumns(header_row, level1, tuple(groups), tuple(texts.values()), sub_header)


def _spread(view: SheetView, header_row: int, value: int) -> tuple[tuple[int, str], ...]:
    """The columns under a value header that spans several, when the next row names each of them
    and holds nothing else but the header's own merged cells (区域目标值 over the counties)."""
    head = squeeze(view.text(header_row, value))
    cols = [value]
    for col in range(value + 1, view.n_cols):
        text = squeeze(view.text(header_row, col))
        if text and text != head:
            break
        cols.append(col)
    sub = header_row + 1
    if len(cols) < 2 or sub >= view.n_rows:
        return ()
    labels = [view.text(sub, c) for c in cols]
    if not all(labels) or len(set(labels)) < len(labels) or any(_role(squeeze(t)) for t in labels):
        return ()  # not names of columns (a 指标性质 | 指标值 | 度量单位 row is a header of its own)
    for col in range(view.n_cols):
        text = squeeze(view.text(sub, col))
        if col not in cols and text and text != squeeze(view.text(header_row, col)):
            return ()
    return tuple(zip(cols, labels, strict=True))


def _group(roles: dict[int, str], texts: dict[int, str], start: int, stop: int, level2: int | None) -> Group:
    cols = [c for c in sorted(roles) if start <= c < stop]
    names = [c for c in cols if roles[c] == "name"]
    name = min(names, key=lambda c: _name_rank(texts[c]), default=None)
    values = [c for c in cols if roles[c] == "value"]
    cycle = [c for c in values if _CYCLE.search(texts[c])] if len(values) > 1 else []
    # A heading naming a target (指标值, 目标值, 年度…) before any other …值 heading.
    annual = min((c for c in values if c not in cycle), key=lambda c: _value_rank(texts[c]), default=None)
    direction = unit = None
    if annual is not None:
        direction = next((c for c in reversed(cols) if c < annual and roles[c] == "direction"), None)
        units = [c for c in cols if roles[c] == "unit"]
        # The unit column after the value, else the one before it (潼南: 计量单位 | 指标性质 | 指标值).
        unit = next((c for c in units if c > annual), units[-1] if units else None)
    # Several target columns of one rank (一季度目标值 | 二季度目标值 …, 2023年 | 2024年): each kept.
    rank = _value_rank(texts.get(annual, ""))
    peers = [c for c in values if c not in cycle and _value_rank(texts[c]) == rank]
    spread = _labelled(peers, texts) if len(peers) > 1 else ()
    return Group(level2, name, annual, direction, unit, cycle[0] if cycle else None, spread=spread)


def _labelled(cols: list[int], texts: dict[int, str]) -> tuple[tuple[int, str], ...]:
    """Target columns named by their headings, without the ending they share (``一季度`` of 一季度目标值)."""
    labels = [texts[c] for c in cols]
    ending = re.compile(r"(?:指标值|目标值|值)$")
    shared = {m.group() for t in labels if (m := ending.search(t))}
    if len(shared) == 1 and all(ending.search(t) for t in labels):
        labels = [ending.sub("", t) or t for t in labels]
    return tuple(zip(cols, labels, strict=True))


def _value_rank(header: str) -> int:
    return 0 if re.search(r"指标值|目标值|年度|全年|本年|当年", header) or _TARGET_HEADER.match(header) else 1


def _name_rank(header: str) -> int:
    if header.startswith("三级"):
        return 0
    return _NAME_HEADERS.index(header) if header in _NAME_HEADERS else len(_NAME_HEADERS)


def _period(texts: dict[int, str], group: Group) -> str | None:
    cols = [c for c in (group.level2, group.name, group.value) if c is not None]
    joined = "".join(texts.get(c, "") for c in cols)
    if _CYCLE.search(joined):
        return "cycle"
    if _ANNUAL.search(joined):
        return "annual"
    return None


@dataclass(frozen=True, slots=True)
class Row:
    """One indicator row of the table, as printed."""

    row: int
    name_col: int
    level: Level
    name: str
    cycle_value: str | None
    annual_value: str | None
    per_column: bool = False  # the value lists a different target per spread column


def _value(view: SheetView, row: int, group: Group, col: int | None) -> str | None:
    """A group's value in a row: direction (when a comparator) + value + unit, joined."""
    if col is not None and col == group.value and group.spread:
        parts = [(label, _one_value(view, row, group, c, True)) for c, label in group.spread]
        parts = [(label, text) for label, text in parts if text]
        if len(parts) == len(group.spread) and len({text for _, text in parts}) == 1:
            return parts[0][1]  # the same target for every column
        return "；".join(f"{label}：{text}" for label, text in parts) or None
    return _one_value(view, row, group, col, col == group.value)


def _one_value(view: SheetView, row: int, group: Group, col: int | None, joined: bool) -> str | None:
    """One value cell with (when ``joined``) its direction before it and its unit after a number."""
    if col is None or not view.text(row, col) or is_comparator(view.text(row, col)):
        return None  # a lone ≥ is a value cut off
    parts = [view.text(row, col)]
    if joined:
        if group.direction is not None and is_comparator(view.text(row, group.direction)):
            parts.insert(0, view.text(row, group.direction))
        unit = view.text(row, group.unit) if group.unit is not None else ""
        if re.search(r"\d$", squeeze(parts[-1])) and not re.fullmatch(r"[\d,.]*", squeeze(unit)):
            parts.append(unit)  # not after 28.8万元 or 应保尽保, nor a number (44,561: a date exported)
    return join_value(parts)


def _is_note_row(view: SheetView, row: int, columns: BlockColumns, group: Group) -> bool:
    """A note, sign-off or total row: one merged cell across the label and indicator columns."""
    label = group.level2 if group.level2 is not None else columns.level1
    probe = group.name if group.name is not None else group.value
    pairs = [(label, probe), (group.name, group.value)]  # an indicator and its value: never one cell
    return any(a is not None and b is not None and a != b and view.same_cell(row, a, b) for a, b in pairs)


def read_rows(view: SheetView, columns: BlockColumns, body: range, stop_at: object) -> tuple[list[Row], int]:
    """The indicator rows of the body, and the row where the table ended (exclusive).

    ``stop_at(row)`` says whether a row starts something else (a new form). A row whose
    category cannot be told is skipped when it holds no value, else read with the category
    unknown, as are the rows of a table printing no category column at all.
    """
    annual = next((g for g in reversed(columns.groups) if g.period == "annual"), columns.groups[-1])
    cycle = next((g for g in columns.groups if g.period == "cycle"), None)
    filled: dict[int, str] = {}
    rows: list[Row] = []
    header = view.sheet.rows[columns.header_row]
    # No category column at all (潼南's 指标 | 指标值): rows are read with the category unknown,
    # for the classifier to fill, rather than refusing the form.
    uncategorised = Level(None, None) if columns.level1 is None and annual.level2 is None else None
    end = body.stop
    for r in body:
        if view.sheet.rows[r] == header or r == columns.sub_header:
            continue  # the header repeated on a new page, or its second row
        if stop_at(r) or _is_note_row(view, r, columns, annual):  # type: ignore[operator]
            end = r
            break
        l1 = _fill(view, r, columns.level1, filled)
        first = l1 if columns.level1 is not None else _own_text(view, r, annual.level2)
        if first != filled.get(-1) and _AFTER_TABLE.search(squeeze(first)) and not _any_label(first):
            end = r  # a row after the table (其他需要说明事项, 审核意见 …)
            break
        l2 = _fill(view, r, annual.level2, filled, reset=l1 != filled.get(-1))
        filled[-1] = l1
        name_group = annual if annual.name is not None and view.text(r, annual.name) else cycle or annual
        name = view.text(r, name_group.name) if name_group.name is not None else ""
        if not re.search(r"\w", name):
            name = ""  # a template's placeholder row (……, …)
        annual_value = _value(view, r, annual, annual.value)
        if cycle is not None and cycle is not annual:
            cycle_value = _value(view, r, cycle, cycle.value)
            own = _own_text(view, r, cycle.level2)
            if not l2 or (own and annual.level2 is not None and not view.text(r, annual.level2)):
                # the annual half blank where the cycle half starts a new level-2 (东莞, a cut row)
                l2 = _fill(view, r, cycle.level2, filled)
        else:
            cycle_value = _value(view, r, annual, annual.cycle_value)
        if rows and _continues_over_page(view, r, rows[-1], columns, annual, bool(name)):
            rows[-1] = _joined(rows[-1], name, cycle_value, annual_value)
            continue
        if not name and not annual_value and not cycle_value:
            continue
        if uncategorised is not None and not annual_value and _AFTER_TABLE.search(squeeze(name)):
            end = r  # no label column to tell a sign-off row by: its text, without a value
            break
        level = classify(l1, l2) if uncategorised is None else uncategorised
        if level is None:
            if not annual_value and not cycle_value:
                continue
            # A label of no known category (其他指标 / 创新指标): the indicator is kept with its
            # category unknown, as in a table without category columns, for the classifier to fill.
            level = Level(None, None)
        name_col = name_group.name if name_group.name is not None else 0
        per_column = bool(annual.spread) and "；" in (annual_value or "")
        rows.append(Row(r, name_col, level, name or l2 or l1, cycle_value, annual_value, per_column))
    return rows, end


def _continues_over_page(
    view: SheetView, row: int, last: Row, columns: BlockColumns, group: Group, has_name: bool
) -> bool:
    """True when a PDF row is the rest of the indicator row printed at the foot of the page
    before (split by the page break): the first row of the page (after a repeated header), no
    label of its own, and either the row above has no value yet or this one has no name."""
    pages = view.sheet.row_pages
    if pages is None or pages[row] == pages[last.row]:
        return False
    header = view.sheet.rows[columns.header_row]
    if any(view.sheet.rows[r] != header for r in range(last.row + 1, row)):
        return False
    if any(view.text(row, c) for c in (columns.level1, group.level2) if c is not None):
        return False
    return not (last.annual_value or last.cycle_value) or not has_name


def _joined(last: Row, name: str, cycle_value: str | None, annual_value: str | None) -> Row:
    """A row split by a page break as one: each part's text continued by the next page's."""
    return Row(
        last.row,
        last.name_col,
        last.level,
        last.name + name,
        join_value([last.cycle_value or "", cycle_value or ""]),
        join_value([last.annual_value or "", annual_value or ""]),
    )


def _fill(view: SheetView, row: int, col: int | None, filled: dict[int, str], reset: bool = False) -> str:
    if col is None:
        return ""
    text = view.text(row, col)
    if text:
        filled[col] = text
    elif reset:
        filled.pop(col, None)
    return filled.get(col, "")


def _own_text(view: SheetView, row: int, col: int | None) -> str:
    """The cell's text when it starts in this row (not the lower part of a merged label)."""
    return "" if col is None or view.continues_above(row, col) else view.text(row, col)


def _any_label(text: str) -> bool:
    return bool(is_level1_text(text) or level2_label(text))


def indicators_of(
    view: SheetView, project_id: str, rows: list[Row] | tuple[Row, ...]
) -> tuple[Indicator, ...]:
    """A project's indicators from its table rows, numbered from 1, each with its cell as origin.
    A value listing one target per county has no single number: its target is qualitative."""
    out = []
    for k, row in enumerate(rows, start=1):
        ind = make_indicator(
            project_id, k, row.level, row.name, row.cycle_value, row.annual_value,
            view.position(row.row, row.name_col),
        )  # fmt: skip
        if row.per_column and ind.target is not None:
            ind = replace(ind, target=Target(ind.target.text, None, None, None, True))
        out.append(ind)
    return tuple(out)
