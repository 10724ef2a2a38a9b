"""Property test: random tables rendered in each layout parse back exactly.

Hypothesis generates projects (names, goals, amounts, coded indicators with
typical values), renders them as a tab-separated table, as PDF-extracted text
wrapped at a random width with random blank lines (goal before or after the
indicators), and as a 5-column table, then checks that the parser returns
every field unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from layouts_support import parse_text

from indexer.layouts.pdf_text import _full_width, display_width
from indexer.records import SourceTable

LEVEL2 = {
    "11": "数量指标",
    "12": "质量指标",
    "13": "时效指标",
    "14": "成本指标",
    "21": "经济效益",
    "22": "社会效益",
    "23": "生态效益",
    "24": "可持续影响",
    "31": "服务对象满意度",
}
LEVEL1 = {"1": "产出", "2": "效益", "3": "满意度"}
VALUES = ["≥10个", "100%", "≤5次", "比较满意", "不少于3家", ">95%", "≥1639人", "及时", "长期", "≥0.5亿元"]
NAME_CHARS = "企业数量满意度服务项目资金发放及时率完成活动培训宣传平台运行系统港口物流商贸会展招商"
GOAL_CHARS = NAME_CHARS + "，"


@dataclass(frozen=True)
class GenIndicator:
    code: str
    name: str
    cycle: str
    annual: str

    @property
    def level1(self) -> str:
        return LEVEL1[self.code[0]]


@dataclass(frozen=True)
class GenProject:
    name: str
    goal: str
    total: Decimal
    indicators: tuple[GenIndicator, ...]
    goal_after: bool


def _text(chars: str, lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=chars, min_size=lo, max_size=hi)


indicators = st.builds(
    GenIndicator,
    code=st.sampled_from(sorted(LEVEL2)),
    name=_text(NAME_CHARS, 2, 14),
    cycle=st.sampled_from(VALUES),
    annual=st.sampled_from(VALUES),
)
projects = st.builds(
    GenProject,
    name=_text(NAME_CHARS, 2, 24),
    goal=_text(GOAL_CHARS, 4, 50).map(lambda g: g.strip("，") + "。").filter(lambda g: len(g) > 1),
    total=st.integers(1, 10_000_000).map(lambda cents: Decimal(cents).scaleb(-2)),
    indicators=st.lists(indicators, min_size=1, max_size=6).map(tuple),
    goal_after=st.booleans(),
)
tables = st.lists(projects, min_size=1, max_size=5)


def _fmt(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _coded(p: GenProject, half_width: bool) -> str:
    sep = ";" if half_width else "；"
    return "".join(
        f"{k}、{i.code[0]}-{i.level1}指标{sep}{i.code}-{LEVEL2[i.code]}{sep}{i.name}{sep}"
        f"实施周期指标值:{i.cycle}{sep}年度指标值:{i.annual}。"
        for k, i in enumerate(p.indicators, start=1)
    )


def render_tsv(ps: list[GenProject], html: bool, half_width: bool) -> str:
    total = _fmt(sum((p.total for p in ps), Decimal(0)))
    rows = [
        "部门名称：广州市海珠区商务局",
        "单位：万元",
        "项目名称（资金使用单位）\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标",
    ]
    rows += [f"合计\t{total}\t{total}\t\t\t\t", f"广州市海珠区商务局\t{total}\t{total}\t\t\t\t"]
    for p in ps:
        goal, inds = p.goal, _coded(p, half_width)
        if html:
            goal, inds = f"<p>{goal}</p>", f"<p>{inds}</p>"
        rows.append(f"{p.name}\t{_fmt(p.total)}\t{_fmt(p.total)}\t\t\t{goal}\t{inds}")
    return "\n".join(rows) + "\n"


def _wrap(text: str, width: int, blanks: list[bool]) -> list[str]:
    """Break ``text`` into lines of at most ``width`` display columns (CJK = 2),
    with a blank line after some of them, as PDF extraction does."""
    out: list[str] = []
    line = ""
    for ch in text:
        if line and display_width(line + ch) > width:
            out.append(line)
            if blanks[len(out) % len(blanks)]:
                out.append("")
            line = ""
        line += ch
    out.append(line)
    return out


def render_pdf(ps: list[GenProject], width: int, blanks: list[bool]) -> str:
    total = _fmt(sum((p.total for p in ps), Decimal(0)))
    lines = [
        "",
        "项目支出绩效目标表（含转移支付项目）",
        "部门名称：广州市海珠区商务局 单位：万元",
        "项目名称（资金使用单位） 总计 财政拨款 财政专户拨款 其他资金 绩效目标 绩效指标",
        f"合计 {total} {total}",
        f"广州市海珠区商务局 {total} {total}",
    ]
    ends_of_lists: list[str] = []
    for p in ps:
        amounts = f"{_fmt(p.total)} {_fmt(p.total)}"
        if display_width(p.name) > width:
            name_lines = _wrap(p.name, width, blanks)
            lines += ["    " + name_lines[0], *name_lines[1:], amounts]
        else:
            lines.append(f"    {p.name} {amounts}")
        goal = _wrap(p.goal, width, blanks)
        inds = _coded(p, half_width=False)
        if p.goal_after:
            # the final 。 is displaced after the goal, as in the 南沙 table
            body = _wrap(inds[:-1], width, blanks)
            ends_of_lists.append(body[-1])
            lines += [*body, "", *goal, "", "。"]
        else:
            lines += [*goal, *_wrap(inds, width, blanks)]
        lines.append("")
    # The documented boundary: when the goal follows, the list's last line must
    # not be full-width (else the goal's first line reads as the value going on).
    full = _full_width(lines)
    if full is None:  # too few lines to know the column width: the value must not wrap
        assume(all("年度指标值:" in line for line in ends_of_lists))
    else:
        assume(all(display_width(line) < full for line in ends_of_lists))
    return "\n".join(lines) + "\n"


def render_five_column(ps: list[GenProject]) -> str:
    rows = ["项目支出绩效目标表", "主管部门\t预算单位\t项目名称\t绩效目标\t绩效指标"]
    for p in ps:
        inds = "".join(
            f"{k}、{i.level1}指标：{i.name}，年度指标值：{i.annual}。"
            for k, i in enumerate(p.indicators, start=1)
        )
        rows.append(f"广州市海珠区商务局\t广州市海珠区商务局\t{p.name}\t{p.goal}\t{inds}")
    return "\n".join(rows) + "\n"


def _check(table: SourceTable, ps: list[GenProject], coded: bool, amounts: bool) -> None:
    assert table.district == "海珠区"
    assert [p.name for p in table.projects] == [g.name for g in ps]
    for parsed, gen in zip(table.projects, ps, strict=True):
        assert parsed.goal == gen.goal
        if amounts:
            assert parsed.amounts.total == parsed.amounts.fiscal == gen.total
        else:
            assert parsed.amounts.total is None
        got = [
            (i.ordinal, i.level1, i.level2_code, i.name, i.cycle_value, i.annual_value)
            for i in parsed.indicators
        ]
        want = [
            (k, i.level1, i.code if coded else None, i.name, i.cycle if coded else None, i.annual)
            for k, i in enumerate(gen.indicators, start=1)
        ]
        assert got == want


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(tables, st.booleans(), st.booleans())
def test_tsv_round_trip(ps: list[GenProject], html: bool, half_width: bool) -> None:
    table = parse_text(render_tsv(ps, html, half_width), "gen.txt")
    assert table.layout == "tsv"
    _check(table, ps, coded=True, amounts=True)


@FAST
@given(tables, st.integers(30, 80), st.lists(st.booleans(), min_size=1, max_size=7))
def test_pdf_text_round_trip(ps: list[GenProject], width: int, blanks: list[bool]) -> None:
    table = parse_text(render_pdf(ps, width, blanks), "gen.txt")
    assert table.layout == "pdf_text"
    _check(table, ps, coded=True, amounts=True)


@FAST
@given(tables)
def test_five_column_round_trip(ps: list[GenProject]) -> None:
    table = parse_text(render_five_column(ps), "gen.txt")
    assert table.layout == "five_column"
    _check(table, ps, coded=False, amounts=False)
