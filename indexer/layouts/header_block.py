"""The key–value block above a national form's indicator table: name, department, unit, funds, goal.

Rows pair printed labels with the cells after them: ``项目名称 | 农村文化建设配套补助经费``,
``主管部门及代码 | [077]淮北市文化旅游体育局 | 实施单位 | …``, a 资金情况 block whose
first column spans its rows (``项目资金(万元) | 年度资金总额: | 5.00``), labels with
their value in the same cell (``年度资金总额:16``, ``预算单位: 奉节县…``) or several in one
multi-line cell. Funds in 元 are converted to 万元 (``Amounts.printed_unit`` keeps what
was printed); when the block has a 中期 (implementation-period) and a 年度 column group,
the annual one is read. Goals: 总体目标 / 年度目标 / 实施期目标, either beside their label
or in the row under a row of sub-labels (``中期目标 | 年度目标``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from indexer.errors import InvalidInputError, ParseError
from indexer.layouts.common import NOT_A_NUMBER
from indexer.layouts.sheet_view import Cell, SheetView, squeeze
from indexer.position import Position
from indexer.records import MAX_AMOUNT, Amounts

__all__ = ["HeaderBlock", "field_of_label", "parse_money", "read_header_block"]

_NUMBERING = re.compile(
    r"^(?:其中[：:]?|[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十\d]+[、.．])+"
)
_NAME = re.compile(r"^(?:项目|专项|专项资金|资金|项目支出|项目（专项）|二级项目)名称$")
# The programme a project belongs to (甘肃: 一级项目名称 beside 二级项目名称): the name only alone.
_PROGRAMME = re.compile(r"^一级项目名称$")
_DEPARTMENTS: tuple[tuple[re.Pattern[str], int], ...] = (
    (
        re.compile(
            r"^(?:县级|区级|区县|县区|县（市、区）)?(?:项目|业务)?主管(?:预算)?部门(?:（单位）)?(?:名称)?"
            r"(?:及其?(?:代码|编码))?$"
        ),
        0,
    ),
    (re.compile(r"^市级(?:项目)?主管部门(?:及其?(?:代码|编码))?$"), 1),
    # A transfer payment's ladder (区域绩效目标表): 区县 before 省级 before 中央.
    (re.compile(r"^省级(?:项目)?主管部门$"), 5),
    (re.compile(r"^中央(?:项目)?主管部门$"), 6),
    (re.compile(r"^预算部门$|^部门(?:名称)?$|^部门（单位）(?:名称)?$|^单位（部门）(?:名称)?$"), 2),
    (re.compile(r"^预算单位$|^单位名称$|^单位信息$"), 3),
    (re.compile(r"^(?:编报|填报|编制|申报)单位$|^下达地方或单位$"), 4),
)
_UNIT = re.compile(r"^(?:项目)?(?:实施|执行)单位$|^资金使用单位$|^项目单位$")
_PERIOD = re.compile(r"^项目(?:期|期限|起止时间|实施期|周期)$|^建设周期$|^项目支出实施期$")
_GOAL = re.compile(r"目标|^年度$|^年度主要目标和成果$")
# 年度履职目标 / 年度目标任务 head a whole-department form's table of duties and tasks, not its goal;
# 投入目标（万元） heads the funds (乌海).
_NOT_GOAL = re.compile(r"履职|任务|投入")
_GOAL_FALLBACK = re.compile(r"^项目(?:总体)?(?:概况|情况)$|^项目总体概况$")
_SUBGOAL = re.compile(r"(?:目标|完成情况|描述|综述)(?:（[^）]*）)?$")
_BRACKETED = re.compile(r"（[^）]*）")
_LABEL_VALUE = re.compile(r"^([^：:\d]{2,24}?)\s*[：:]\s*(.+)$", re.S)
_MONEY = re.compile(r"(-?\d(?:[\d,]*\d)?(?:\.\d+)?)(亿元|万元|万|元)?")
_UNIT_IN_LABEL = re.compile(r"（(万元|元)）|单位[：:](万元|元)")
_SHEET_UNIT = re.compile(r"(?:金额)?单位[：:]\s*(万元|元)")
# Funds of one government level (地方资金 is their sum when it is not printed itself).
_LEVEL_FUNDS = re.compile(r"^(?:省|市|县|区|乡镇?|本)级(?:财政)?(?:资金|补助|配套|拨款|预算|专项|安排)")
# Funds from outside the budget (其他资金 is their sum when it is not printed itself).
_OWN_FUNDS = re.compile(r"自筹|自有|社会(?:资金|投资|投入|资本)|银行贷款|贷款|融资|捐赠|企业投入|群众投劳")
# Labels that are read as labels (so their cells are never taken for values) but not kept.
_OTHER_LABEL = re.compile(
    r"^(?:项目(?:属性|期|期限|来源|类型|分类|口径|编号|负责人|责任人|经办人|审批|联系人|功能科目|起止时间|实施期)"
    r"|联系电话|重要程度|建设周期|立项依据|对应一级项目|项目负责人及电话|项目经办人电话|单位（盖章）"
    r"|财政资金(?:预算分类|科目代码)|年度预算执行率|分值|得分|执行率|年初预算数|全年预算数|全年执行数"
    r"|预算执行率权重|(?:中央|省级|市级|区县|县区|县级)?财政部门|主要内容|项目主要内容|项目实施计划|项目实施进度计划)"
)


@dataclass(frozen=True, slots=True)
class HeaderBlock:
    """What a form's header block says about its project (texts as printed, stripped)."""

    name: Cell | None
    department: str
    budget_unit: str | None
    amounts: Amounts
    goal: str
    period: str = ""
    """The 项目期 / 项目起止时间 / 建设周期 value as printed (a budget year may be read from it)."""
    places: tuple[str, ...] = field(default_factory=tuple)
    """Texts that may name the project's place: the departments (most local first), then the unit."""


def _label_key(text: str) -> str:
    return re.sub(r"[*★※]", "", _NUMBERING.sub("", squeeze(text))).rstrip("：:")


def _is_label(text: str) -> bool:
    key = _label_key(text)
    if "：" in key or re.search(r"\d", re.sub(r"（[^）]*）", "", key)):
        return False  # a value such as "250 一、预算资金:250", not one label
    return bool(key) and len(key) <= 24 and (_field_of(key) is not None or bool(_OTHER_LABEL.match(key)))


def field_of_label(text: str) -> str | None:
    """What a header-block label names: ``"name"``, ``"unit"``, ``"department<rank>"``, ``"goal"``,
    ``"amount:<field>"`` …; None for a text that is no such label."""
    key = _label_key(text)
    return _field_of(key) if key and len(key) <= 24 else None


def _amount_field(key: str) -> str | None:
    """The Amounts field a funds label names (``其中：财政拨款`` → fiscal), or None."""
    if re.search(r"执行|科目|分类|代码|率|结转|初预算", key):
        return None
    if "财政专户" in key:
        return "special_account"
    if re.search(r"预算内投资", key):
        return "total"
    if "中央" in key:
        return "central"
    if "上级" in key and re.search(r"资金|补助|拨款|专项|转移|财政|配套", key):
        return "upper"
    if re.search(r"地方(?:资金|配套|财政)", key):
        return "local"
    if _LEVEL_FUNDS.search(key):
        return "local_part"
    if re.search(r"其他|其它", key):
        return "other"
    if _OWN_FUNDS.search(key):
        return "other_part"
    if "财政" in key and re.search(r"拨款|投款|资金|小计", key):
        return "fiscal"
    if re.search(
        r"总额|年度金额|预算数|预算金额|总预算|年度预算|当年预算|资金总额|项目资金$|申报数|申请数", key
    ):
        return "total"
    if re.search(r"总投资$", key):  # the whole project's cost (甘肃 项目总投资): the total when alone
        return "total"
    if re.fullmatch(r"(?:金额|资金)?合计", key):  # 项目资金 | 合计, 年度主要任务 … | 金额合计
        return "total"
    return None


def _field_of(key: str) -> str | None:
    if _NAME.match(key):
        return "name"
    if _PROGRAMME.match(key):
        return "programme"
    if _UNIT.match(key):
        return "unit"
    if _PERIOD.match(key):
        return "period"
    for pattern, rank in _DEPARTMENTS:
        if pattern.match(key):
            return f"department{rank}"
    if "指标" not in key and _GOAL.search(key) and len(key) <= 16 and not _NOT_GOAL.search(key):
        return "goal"
    if _GOAL_FALLBACK.match(key):
        return "goal_fallback"
    money = _amount_field(key)
    if money is not None:
        return "amount:" + money
    return None


def parse_money(
    text: str, default_unit: str, where: Position | None = None
) -> tuple[Decimal, str] | None:
    """An amount cell in 万元 and the unit it was printed in (``2279.048 万元``, ``1,030,700.00``
    under 单位:元, ``854万(…)``); None when the cell holds no amount. An amount past
    :data:`~indexer.records.MAX_AMOUNT` 万元, or a cell holding NaN, infinity or an Excel error
    value where the amount goes, is refused (a ParseError at ``where``)."""
    compacted = squeeze(text)
    if where is not None and NOT_A_NUMBER.fullmatch(compacted):
        message = f"amount is not a number: {text.strip()!r} (expected 万元 such as 1,338.00)"
        raise ParseError(where.file, where.line, message, position=where)
    m = _MONEY.match(compacted) or (_MONEY.search(compacted) if not re.match(r"\D{4,}", compacted) else None)
    if m is None:
        return None
    number = Decimal(m.group(1).replace(",", ""))
    unit = {"万": "万元", None: default_unit}.get(m.group(2), m.group(2))
    value = number / Decimal(10000) if unit == "元" else number * Decimal(10000) if unit == "亿元" else number
    if abs(value) > MAX_AMOUNT:
        shown = compacted if len(compacted) <= 40 else compacted[:40] + "…"
        message = f"amount {shown!r} is out of range: more than {MAX_AMOUNT:,} 万元"
        if where is None:
            raise InvalidInputError(message)
        raise ParseError(where.file, where.line, message, position=where)
    return value, unit if unit in ("元", "亿元") else "万元"


# A numbered label (二、自有资金:) after a space inside one line: lines of a cell a delimited text glued.
_NUMBERED_LABEL = re.compile(r"\s+(?=(?:[一二三四五六七八九十]+[、.．]|\d+[、.．])[^\s：:\d]{1,12}[：:])")


def _split_inline(cell: Cell) -> list[Cell]:
    """A cell holding ``label：value`` (or several such lines) as separate label and value cells."""
    lines = [line.strip() for line in cell.text.split("\n") if line.strip()]
    if len(lines) == 1 and _LABEL_VALUE.match(lines[0]):
        lines = [part for part in _NUMBERED_LABEL.split(lines[0]) if part]  # the lines, glued by a space
    if len(lines) > 1 and not any(
        (m := _LABEL_VALUE.match(line)) and _is_label(m.group(1)) for line in lines
    ):
        lines = [cell.text]  # a label printed one character a line, a multi-line value
    parts: list[Cell] = []
    for line in lines if len(lines) > 1 else [cell.text]:
        m = _LABEL_VALUE.match(line)
        glued = re.match(r"^(\D{2,16}?)(-?\d[\d,.]*\s*(?:万元|万|元)?)$", squeeze(line))
        if m and _is_label(m.group(1)):
            parts += [
                Cell(cell.row, cell.col, cell.col, m.group(1)),
                Cell(cell.row, cell.col, cell.end_col, m.group(2)),
            ]
        elif glued and _amount_field(_label_key(glued.group(1))):
            parts += [
                Cell(cell.row, cell.col, cell.col, glued.group(1)),
                Cell(cell.row, cell.col, cell.end_col, glued.group(2)),
            ]
        elif len(lines) > 1 and parts and parts[-1].col == cell.col and len(parts) % 2 == 0:
            # the rest of the value above wrapped onto this line (a PDF cell: 整体目标: …履行食品 / 安全…)
            last = parts[-1]
            parts[-1] = Cell(last.row, last.col, last.end_col, f"{last.text}\n{line}")
        elif len(lines) > 1:
            parts.append(Cell(cell.row, cell.col, cell.end_col, line))
        else:
            parts.append(cell)
    return parts


@dataclass
class _Amount:
    field: str
    label: str
    label_col: int
    value: Decimal
    unit: str


def read_header_block(view: SheetView, start: int, end: int, preamble: tuple[str, ...] = ()) -> HeaderBlock:
    """Read rows ``[start, end)`` of a sheet as a form's header block."""
    found: dict[str, tuple[int, Cell]] = {}
    amounts: list[_Amount] = []
    goals: list[tuple[str, str]] = []  # (sub-label or label, text)
    fallback_goal = ""
    texts = [view.text(r, c) for r in range(start, end) for c in range(view.n_cols)]
    sheet_unit = next(
        (m.group(1) for t in (*preamble, *texts) if (m := _SHEET_UNIT.search(squeeze(t)))), "万元"
    )
    section_unit = sheet_unit
    pending_subgoals: list[tuple[Cell, str]] = []
    for row in range(start, end):
        cells = [part for cell in view.cells(row) for part in _split_inline(cell)]
        if not cells:
            continue
        head_text = view.text(row, 0)
        if head_text:  # the block's first column names it and may give its unit: 资金情况（元）
            unit = _UNIT_IN_LABEL.search(squeeze(head_text))
            section_unit = (unit.group(1) or unit.group(2)) if unit else sheet_unit
        if pending_subgoals and (view.continues_above(row, 0) or not head_text):
            for sub, _ in pending_subgoals:
                text = " ".join(c.text for c in cells if c.col >= sub.col and c.end_col <= sub.end_col)
                if text and not _SUBGOAL.search(squeeze(text)):
                    goals.append((sub.text, text))
            pending_subgoals = []
            continue
        pending_subgoals = []
        i = 0
        while i < len(cells):
            cell = cells[i]
            key = _label_key(cell.text)
            kind = _field_of(key) if len(key) <= 24 else None
            if kind is None:
                i += 1
                continue
            value = cells[i + 1] if i + 1 < len(cells) and not _is_label(cells[i + 1].text) else None
            if kind == "goal":
                rest = cells[i + 1 :]
                subs = [c for c in rest if _is_subgoal(c.text)]
                if rest and len(subs) == len(rest):
                    pending_subgoals = [(c, c.text) for c in subs]
                elif rest:
                    texts_after = [c for c in rest if c not in subs]
                    goals.append((subs[0].text if subs else cell.text, texts_after[0].text))
                i = len(cells)
                continue
            if kind == "goal_fallback":
                fallback_goal = fallback_goal or (value.text if value else "")
            elif kind.startswith("amount:") and value is not None:
                label_unit = _UNIT_IN_LABEL.search(squeeze(cell.text))
                unit = (label_unit.group(1) or label_unit.group(2)) if label_unit else section_unit
                money = parse_money(value.text, unit, view.position(value.row, value.col))
                if money is not None:
                    amounts.append(_Amount(kind[7:], key, cell.col, money[0], money[1]))
            elif value is not None and kind not in found:
                found[kind] = (row, value)
            i += 2 if value is not None else 1
    return _block(found, amounts, goals, fallback_goal)


def _is_subgoal(text: str) -> bool:
    """A sub-label over a goal (中期目标, 实施周期总目标（2022年--2024年）, 年度目标), not a goal."""
    key = squeeze(text)
    return bool(_SUBGOAL.search(key)) and len(_BRACKETED.sub("", key)) <= 20


def _block(
    found: dict[str, tuple[int, Cell]],
    amounts: list[_Amount],
    goals: list[tuple[str, str]],
    fallback_goal: str,
) -> HeaderBlock:
    departments = sorted((k, cell.text) for k, (_, cell) in found.items() if k.startswith("department"))
    department = departments[0][1] if departments else ""
    unit = found.get("unit")
    places = tuple(text for _, text in departments) + ((unit[1].text,) if unit is not None else ())
    return HeaderBlock(
        name=(found.get("name") or found.get("programme") or (None, None))[1],
        department=department,
        budget_unit=unit[1].text if unit else None,
        amounts=_amounts(amounts),
        goal=_goal(goals) or fallback_goal,
        period=found["period"][1].text if "period" in found else "",
        places=places,
    )


# A line break inside a goal cell that ends a part (。；！？：) or starts a numbered one (目标2, 2., （二）):
# kept; any other is where the cell wrapped (a PDF prints every wrap as a line).
_PART_END = re.compile(r"[。；;！!？?：:]$")
_PART_START = re.compile(
    r"^(?:[（(]?[一二三四五六七八九十\d]+[）)、.．]|目标\s*\d|第[一二三四五六七八九十\d]+)"
)


# A numbered part (目标2：) after a space or a part's end, on one line: where a line break was lost
# (delimited text prints a cell's breaks as spaces).
_INLINE_PART = re.compile(r"(?:(?<=[。；;！!？?])\s*|\s+)(?=目标\s*\d+\s*[：:])")


def _unwrapped(text: str) -> str:
    """A goal cell's text with its wrap breaks joined and its own line breaks kept."""
    lines = [line.strip() for line in _INLINE_PART.sub("\n", text).split("\n") if line.strip()]
    out = lines[:1]
    for line in lines[1:]:
        if _PART_END.search(out[-1]) or _PART_START.match(line):
            out.append(line)
        else:
            out[-1] += line
    return "\n".join(out)


_ANNUAL_GOAL = re.compile(r"年度|当年|本年")


def _goal(goals: list[tuple[str, str]]) -> str:
    """The annual goal, then the implementation-period goal when it says something else."""
    labels = [squeeze(label) for label, _ in goals]
    with_annual = any(_ANNUAL_GOAL.search(label) for label in labels)

    def is_cycle(label: str) -> bool:
        # 项目总目标 beside 年度总体目标 (新疆兵团): the whole project's goal, read as the period's.
        whole = with_annual and label.endswith("总目标") and not _ANNUAL_GOAL.search(label)
        return whole or bool(re.search(r"中期|长期|实施期|周期", label))

    annual = [
        t
        for label, (_, t) in zip(labels, goals, strict=True)
        if not is_cycle(label) and not re.search(r"完成|实际", label)
    ]
    cycle = [t for label, (_, t) in zip(labels, goals, strict=True) if is_cycle(label)]
    return "\n".join(dict.fromkeys(_unwrapped(t) for t in annual + cycle))


def _amounts(found: list[_Amount]) -> Amounts:
    """The annual amounts: with a 中期 and a 年度 column group, the 年度 group's."""
    annual_cols = {a.label_col for a in found if a.field == "total" and re.search(r"年度|当年|本年", a.label)}
    cycle_cols = {
        a.label_col for a in found if a.field == "total" and re.search(r"中期|实施期|长期", a.label)
    }
    cycle_cols |= {a.label_col for a in found if a.field == "total"} - annual_cols if annual_cols else set()
    if annual_cols and cycle_cols and not annual_cols & cycle_cols:
        edge = min(annual_cols)
        keep = (lambda col: col >= edge) if edge > max(cycle_cols) else (lambda col: col < min(cycle_cols))
        found = [a for a in found if keep(a.label_col)]
    values: dict[str, _Amount] = {}

    def rank(a: _Amount) -> int:  # a total named for the year first, the project's whole cost last
        if a.field != "total":
            return 1
        return 0 if re.search(r"年度|当年|本年", a.label) else 2 if re.search(r"总投资$", a.label) else 1

    for a in sorted(found, key=rank):
        values.setdefault(a.field, a)
    for part, whole in (("local_part", "local"), ("other_part", "other")):
        parts = [a for a in found if a.field == part]
        values.pop(part, None)
        if parts and whole not in values:  # 省级资金 + 市级资金 printed without their 地方资金 line
            units = sorted({a.unit for a in parts})
            total = sum((a.value for a in parts), Decimal(0))
            label = "+".join(a.label for a in parts)
            values[whole] = _Amount(whole, label, parts[0].label_col, total, units[-1])
    if "total" not in values and len(values) == 1 and ("central" in values or "fiscal" in values):
        # The one funds line printed (中央补助, 本年度申请市财政预算资金 of 东莞) is the whole.
        values["total"] = next(iter(values.values()))
    units = {f: a.unit for f, a in values.items() if a.unit != "万元"}
    printed = None
    if units:
        kinds = sorted(set(units.values()))
        printed = (
            "/".join(kinds)
            if len(units) == len(values)
            else f"{'/'.join(kinds)} ({', '.join(sorted(units))})"
        )
    return Amounts(**{f: a.value for f, a in values.items()}, printed_unit=printed)
