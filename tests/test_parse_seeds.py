"""The five real seed tables: nothing lost, nothing invented.

Counts are asserted twice: as fixed numbers (a regression guard) and against
independent counts made on the raw text with plain regular expressions that
tolerate line wraps, so a parser bug cannot hide behind a wrong constant.

Where the tables themselves are inconsistent (the parser keeps what is written):

* 000 (city): 历史遗留问题处置专项经费 has its 10.00 in the 财政专户拨款
  column, but 合计 and the 广州市商务局 unit row declare no 财政专户拨款 and
  count it under 其他资金 (162.60 = 152.60 + 10.00). 总计 and 财政拨款 agree.
* 000, 001, 004: the projects add up to 合计 (and to one unit row each) only
  within 0.01 万元 of rounding (101,132.25 vs 101,132.26; 67,522.74 vs
  67,522.75; 6,087.41 vs 6,087.40).
* 001 files 成本 as a level-2 code under 产出 (``1-产出指标；14-成本指标``),
  000 as its own level-1 (``4-成本指标；41-经济成本指标``): two versions of
  the indicator framework.
* 001: two indicator names start with a stray ``-`` (``；-使用人员满意度``,
  dropped from the normalised name), a cycle value carries a stray ``。``
  (``读取率≥99.9%。；``), and 商务综合服务经费 puts its goal after its
  indicators, the list's closing ``。`` displaced after the goal.
* 003 (5-column) has no amounts and no 合计, so nothing can be summed; three
  satisfaction indicators sit under 效益 (企业满意率 ×2, 口岸查验单位对共建
  工作的满意度); three project names say 工作经历 for 工作经费.
* 004 mixes full- and half-width punctuation between rows (``；`` vs ``;``,
  ``【2023】`` vs ``[2023]``) and gives 无 as every 实施周期指标值.
* Repeated names are distinct rows (all counted in 合计): 000 has 11 ×
  服务贸易专题, 2 × 商务营商环境培育项目（美食节）, 2 × 机构运行辅助经费 and
  3 × 因公出国（境）经费.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from indexer.ingest import read_path
from indexer.records import AMOUNT_FIELDS, LEVEL1_NAMES, SourceTable
from indexer.stats import sum_amounts

TOLERANCE = Decimal("0.01")

# file prefix → (layout, district, projects, indicators, coded, unit subtotals, has 合计)
EXPECTED = {
    "000": ("tsv", "广州市", 57, 294, 294, 4, True),
    "001": ("pdf_text", "南沙区", 28, 183, 183, 1, True),
    "002": ("pdf_text", "荔湾区", 11, 44, 44, 2, True),
    "003": ("five_column", "花都区", 53, 182, 0, 0, False),
    "004": ("tsv", "天河区", 24, 75, 75, 1, True),
}

# "1-产出指标；11-" with a line break or space allowed anywhere inside.
_W = r"\s*"
_CODE = re.compile(
    rf"[1-4]{_W}-{_W}(?:产{_W}出|效{_W}益|满{_W}意{_W}度|成{_W}本){_W}指{_W}标{_W}[；;]{_W}(\d){_W}(\d){_W}-"
)
_LEVEL1_ONLY = re.compile(rf"\d{_W}、{_W}(?:产出|效益|满意度|成本)指标{_W}[：:]")


@pytest.fixture(scope="module")
def tables(seed_paths: list[Path]) -> dict[str, SourceTable]:
    return {p.name[:3]: read_path(p).table for p in seed_paths}


@pytest.fixture(scope="module")
def raw_texts(seed_paths: list[Path]) -> dict[str, str]:
    return {p.name[:3]: p.read_text(encoding="utf-8") for p in seed_paths}


def _independent_project_count(layout: str, raw: str) -> int:
    lines = raw.split("\n")
    if layout == "pdf_text":
        return sum(1 for line in lines if line.startswith("    ") and line.strip())
    cells = [line.rstrip("\r").split("\t") for line in lines if "\t" in line]
    if layout == "five_column":
        return len(cells) - 1  # minus the header
    # tsv: rows with a goal (column 6); unit subtotal and 合计 rows have none
    return sum(1 for c in cells[1:] if len(c) >= 6 and c[5].strip())


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_counts(tables: dict[str, SourceTable], raw_texts: dict[str, str], prefix: str) -> None:
    layout, district, n_projects, n_indicators, n_coded, n_units, has_total = EXPECTED[prefix]
    t = tables[prefix]
    raw = raw_texts[prefix]
    indicators = [i for p in t.projects for i in p.indicators]
    coded = [i for i in indicators if i.level2_code]
    assert t.layout == layout
    assert t.district == district
    assert {p.district for p in t.projects} == {district}
    assert len(t.projects) == n_projects == _independent_project_count(layout, raw)
    assert len(indicators) == n_indicators
    assert len(coded) == n_coded == len(_CODE.findall(raw))
    if layout == "five_column":
        assert len(indicators) == len(_LEVEL1_ONLY.findall(raw))
    else:
        assert len(indicators) == len(coded)
    assert len(t.unit_subtotals) == n_units
    assert (t.grand_total is not None) == has_total


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_every_code_in_the_raw_text_is_on_exactly_one_indicator(
    tables: dict[str, SourceTable], raw_texts: dict[str, str], prefix: str
) -> None:
    from collections import Counter

    raw_codes = Counter(a + b for a, b in _CODE.findall(raw_texts[prefix]))
    parsed = Counter(i.level2_code for p in tables[prefix].projects for i in p.indicators if i.level2_code)
    assert parsed == raw_codes


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_ordinals_run_one_to_n(tables: dict[str, SourceTable], prefix: str) -> None:
    for p in tables[prefix].projects:
        assert p.indicators, f"{p.name} has no indicators"
        assert [i.ordinal for i in p.indicators] == list(range(1, len(p.indicators) + 1)), p.name
        assert all(i.level1 in LEVEL1_NAMES for i in p.indicators)
        assert all(i.project_id == p.id for i in p.indicators)
        assert all(i.name and i.annual_value for i in p.indicators), p.name


def _close(a: Decimal | None, b: Decimal | None) -> bool:
    return abs((a or Decimal(0)) - (b or Decimal(0))) <= TOLERANCE


@pytest.mark.parametrize("prefix", ["000", "001", "002", "004"])
def test_projects_add_up_to_the_grand_total(tables: dict[str, SourceTable], prefix: str) -> None:
    t = tables[prefix]
    assert t.grand_total is not None
    assert t.grand_total.project_ids == tuple(p.id for p in t.projects)
    got = sum_amounts(t.projects)
    assert _close(got.total, t.grand_total.amounts.total)
    assert _close(got.fiscal, t.grand_total.amounts.fiscal)
    # 财政专户拨款 + 其他资金 together: see test_city_table_special_account_row.
    assert _close(
        (got.special_account or 0) + (got.other or 0),
        (t.grand_total.amounts.special_account or 0) + (t.grand_total.amounts.other or 0),
    )


@pytest.mark.parametrize("prefix", ["000", "001", "002", "004"])
def test_every_unit_subtotal_adds_up(tables: dict[str, SourceTable], prefix: str) -> None:
    t = tables[prefix]
    covered: list[str] = []
    for unit in t.unit_subtotals:
        assert unit.project_ids, unit.label
        projects = [p for p in t.projects if p.id in set(unit.project_ids)]
        assert {p.budget_unit for p in projects} == {unit.label}
        got = sum_amounts(projects)
        assert _close(got.total, unit.amounts.total), unit.label
        assert _close(got.fiscal, unit.amounts.fiscal), unit.label
        covered += unit.project_ids
    # every project belongs to exactly one unit, and the units add up to 合计
    assert sorted(covered) == sorted(p.id for p in t.projects)
    assert t.grand_total is not None
    units_total = sum((u.amounts.total for u in t.unit_subtotals), Decimal(0))
    assert units_total == t.grand_total.amounts.total


def test_city_table_special_account_row(tables: dict[str, SourceTable]) -> None:
    """An inconsistency of the city table itself: 历史遗留问题处置专项经费 puts
    its 10.00 in the 财政专户拨款 column, while 合计 and the unit row declare
    no 财政专户拨款 and count those 10.00 under 其他资金 (162.60 = 152.60 + 10.00).
    The parser keeps the row as written."""
    t = tables["000"]
    row = next(p for p in t.projects if p.name == "历史遗留问题处置专项经费")
    assert row.amounts.special_account == Decimal("10.00")
    assert row.amounts.fiscal is None and row.amounts.other is None
    assert t.grand_total is not None
    assert t.grand_total.amounts.special_account is None
    assert t.grand_total.amounts.other == Decimal("162.60")
    assert sum_amounts(t.projects).other == Decimal("152.60")


def test_amount_columns_are_decimals_or_absent(tables: dict[str, SourceTable]) -> None:
    for prefix, t in tables.items():
        for p in t.projects:
            for f in AMOUNT_FIELDS:
                v = getattr(p.amounts, f)
                assert v is None or isinstance(v, Decimal)
            if prefix == "003":
                assert all(getattr(p.amounts, f) is None for f in AMOUNT_FIELDS)
            else:
                assert p.amounts.total is not None and p.amounts.total >= 0


def test_service_trade_rows_of_the_city_table_stay_separate(tables: dict[str, SourceTable]) -> None:
    rows = [p for p in tables["000"].projects if p.name == "服务贸易专题"]
    assert len(rows) == 11
    assert len({p.id for p in rows}) == 11
    assert len({p.source_line for p in rows}) == 11
    assert sum((p.amounts.total for p in rows), Decimal(0)) == Decimal("4000.00")
    assert [len(p.indicators) for p in rows] == [6] * 11


def test_ids_are_stable_and_unique(seed_paths: list[Path], tables: dict[str, SourceTable]) -> None:
    again = {p.name[:3]: read_path(p).table for p in seed_paths}
    ids = [p.id for t in tables.values() for p in t.projects]
    assert ids == [p.id for t in again.values() for p in t.projects]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[0-9a-f]{12}", i) for i in ids)
    assert again == tables


def test_goal_after_indicators_in_the_nansha_table(tables: dict[str, SourceTable]) -> None:
    p = next(p for p in tables["001"].projects if p.name == "商务综合服务经费")
    assert p.goal.startswith("1.营造良好营商环境、消费氛围；2.创新商务服务的体制机制")
    assert p.goal.endswith("提高效率。")
    assert "。。" not in p.goal and "指标" not in p.goal
    assert len(p.indicators) == 9
    last = p.indicators[-1]
    assert (last.name, last.annual_value) == ("企业走访服务满意度", "≥85%")


def test_wrapped_names_codes_and_numbers_in_pdf_text(tables: dict[str, SourceTable]) -> None:
    nansha = {p.name: p for p in tables["001"].projects}
    p = nansha["产业扶持—企业扶持和奖励经费"]
    assert p.amounts.total == Decimal("50000.00") and p.source_line == 49
    assert len(p.indicators) == 22
    # "≥\n\n1%" and "≧2%" across a wrap
    assert p.indicators[11].annual_value == "≥1%"
    assert p.indicators[9].target is not None and p.indicators[9].target.number == Decimal("2")
    name = "南沙综保区海关监管信息化系统查验调拨移柜和卡口验放管理功能升级优化项目"
    assert nansha[name].amounts.total == Decimal("41.55")
    liwan = {p.name: p for p in tables["002"].projects}
    assert "荔湾区商业网点建设专题（专业批发市场转型升级创新激励）" in liwan
    assert liwan["日常招商工作经费"].budget_unit == "广州市荔湾区招商中心"


def test_city_table_cleanup(tables: dict[str, SourceTable]) -> None:
    city = {p.name: p for p in tables["000"].projects}
    ecommerce = city["电子商务专题"]
    assert "<p>" not in ecommerce.goal and "<p>" not in ecommerce.goal_raw
    wrapped = city["广州商务会展促进服务中心2025-2026年信息化运维项目"]
    assert wrapped.name_raw == "广州商务会展促进服务中心 2025-2026年信息化运维项目"
    assert wrapped.indicators[2].name == "故障处理及时率"  # "时效指 标" wrapped in the cell
    assert [i.level2_code for i in city["机场新沙口岸房屋维修维护费"].indicators] == ["12", "13", "23", "31"]
    assert (
        city["广州市国际投资促进中心2024年-2025年信息化运维服务项目"].budget_unit == "广州市国际投资促进中心"
    )


def test_five_column_table(tables: dict[str, SourceTable]) -> None:
    t = tables["003"]
    assert t.department == "广州市花都区科技工业商务和信息化局"
    units = {p.budget_unit for p in t.projects}
    assert units == {"广州市花都区科技工业商务和信息化局", "广州市花都区口岸服务保障中心"}
    assert all(i.level2_code is None and i.cycle_value is None for p in t.projects for i in p.indicators)
    p = next(p for p in t.projects if p.name == "对口帮扶清远市清新区、阳山县")
    assert [i.name for i in p.indicators][2] == "强化消费协作，鼓励引导消费企业帮扶"


def test_tianhe_half_width_punctuation(tables: dict[str, SourceTable]) -> None:
    p = next(p for p in tables["004"].projects if p.name == "再生资源回收工作经费")
    assert [i.level2_code for i in p.indicators] == ["11", "22"]
    assert p.indicators[0].annual_value == "摸查街道数≥21个"
    assert p.indicators[0].cycle_value == "无"
    assert p.indicators[0].target is not None and p.indicators[0].target.number == Decimal("21")
