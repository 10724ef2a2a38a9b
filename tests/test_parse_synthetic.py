"""Small hand-written tables for each layout, and broken ones."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from layouts_support import parse_bytes, parse_file, parse_text

from indexer.errors import ParseError, UnknownLayoutError
from indexer.layouts import detect
from indexer.readers import read_document
from indexer.stats import sum_amounts

FIXTURES = Path(__file__).parent / "fixtures"


def test_tsv_layout() -> None:
    t = parse_file(FIXTURES / "tsv_small.txt")
    assert (t.layout, t.department, t.district) == ("tsv", "广州市越秀区商务局", "越秀区")
    assert [p.name for p in t.projects] == ["会展扶持专题", "商贸流通工作经费", "招商活动经费"]
    assert [p.source_line for p in t.projects] == [11, 13, 15]
    assert [p.budget_unit for p in t.projects] == ["广州市越秀区商务局"] * 2 + ["广州市越秀区招商中心"]
    first = t.projects[0]
    assert first.goal == first.goal_raw == "支持会展业发展。"
    assert [(i.level1, i.level2_code, i.name) for i in first.indicators] == [
        ("产出", "11", "扶持展会数量"),
        ("效益", "23", "展馆节能率"),  # "23-生 态效益" and half-width ";" in the source
    ]
    assert first.indicators[1].annual_value == "≥5%"  # "≧5%"
    second = t.projects[1]
    assert second.amounts.other == Decimal("50.00") and second.amounts.special_account is None
    assert second.indicators[1].target is not None and second.indicators[1].target.qualitative
    assert second.indicators[2].level1 == "成本"
    assert t.grand_total is not None and t.grand_total.line == 9
    assert sum_amounts(t.projects) == t.grand_total.amounts
    assert [u.label for u in t.unit_subtotals] == ["广州市越秀区商务局", "广州市越秀区招商中心"]
    for unit in t.unit_subtotals:
        assert sum_amounts(p for p in t.projects if p.id in unit.project_ids) == unit.amounts


def test_pdf_text_layout() -> None:
    t = parse_file(FIXTURES / "pdf_small.txt")
    assert (t.layout, t.department, t.district) == ("pdf_text", "广州市黄埔区商务局", "黄埔区")
    names = [p.name for p in t.projects]
    assert names == ["港口物流发展扶持资金", "商务综合服务经费", "招商推介经费"]  # name wrapped over 2 lines
    harbour, service, invest = t.projects
    assert harbour.source_line == 12
    assert harbour.amounts.total == Decimal("900.00") and harbour.amounts.fiscal == Decimal("900.00")
    assert harbour.amounts.other is None
    assert harbour.goal == "支持港口物流企业发展，提升航运服务能力。"
    # "实施周\n\n期指标值", "2-效\n益指标", "≥\n\n3%"
    assert [(i.ordinal, i.level2_code, i.cycle_value, i.annual_value) for i in harbour.indicators] == [
        (1, "11", "≥20家", "≥20家"),
        (2, "21", "≥3%", "≥3%"),
    ]
    # goal after the indicators, ending in a stray lone "。"
    assert service.goal == "1.营造良好营商环境；2.提高服务效率。"
    assert [i.annual_value for i in service.indicators] == ["≥300条", "≥85%"]
    assert service.indicators[1].name == "企业满意度"
    assert invest.budget_unit == "广州市黄埔区投资促进中心"
    assert invest.goal == "举办招商推介活动，吸引企业落户。"
    assert t.grand_total is not None and sum_amounts(t.projects).total == t.grand_total.amounts.total


def test_five_column_layout() -> None:
    t = parse_file(FIXTURES / "five_column_small.txt")
    assert (t.layout, t.department, t.district) == ("five_column", "广州市番禺区商务局", "番禺区")
    assert t.grand_total is None and t.unit_subtotals == ()
    food, port = t.projects
    assert port.budget_unit == "广州市番禺区口岸服务中心"
    assert port.amounts.total is None
    assert [(i.ordinal, i.level1, i.level2_code) for i in port.indicators] == [
        (1, "效益", None),
        (2, "产出", None),
        (3, "效益", None),
    ]
    assert port.indicators[1].name == "强化协作，鼓励企业参与"  # a name containing "，"
    assert port.indicators[0].annual_value == "100%（通关正常天数/365天*100%）"
    assert food.indicators[1].target is not None and food.indicators[1].target.comparator == ">="


@pytest.mark.parametrize(
    ("fixture", "error", "line", "words"),
    [
        ("tsv_truncated_row.txt", ParseError, 13, "4 of the header's 7"),
        ("tsv_truncated_indicator.txt", ParseError, 13, "no 年度指标值"),
        ("pdf_truncated_name.txt", ParseError, 44, "not followed by its amounts"),
        ("unknown_layout.txt", UnknownLayoutError, None, "unknown table layout"),
    ],
)
def test_broken_tables_fail_clearly(
    fixture: str, error: type[Exception], line: int | None, words: str
) -> None:
    with pytest.raises(error) as info:
        parse_file(FIXTURES / fixture)
    exc = info.value
    assert isinstance(exc, ParseError)
    assert exc.file == fixture and exc.line == line
    assert words in str(exc)
    assert str(exc).startswith(fixture if line is None else f"{fixture}, line {line}")


def test_binary_file_is_refused() -> None:
    data = (FIXTURES / "tsv_small.txt").read_bytes()[:200] + b"\x00\x01\x02\xff"
    with pytest.raises(ParseError, match="binary data") as info:
        parse_bytes(data, "blob.txt")
    assert info.value.file == "blob.txt" and info.value.line is not None


def test_undecodable_file_is_refused_with_its_line() -> None:
    good = (FIXTURES / "tsv_small.txt").read_bytes()
    lines = good.split(b"\n")
    lines[12] = lines[12][:10] + b"\xff\xfe\x80" + lines[12][10:]
    with pytest.raises(ParseError, match="neither UTF-8") as info:
        parse_bytes(b"\n".join(lines), "bad.txt")
    assert info.value.line == 13


def test_gb18030_table_is_accepted() -> None:
    text = (FIXTURES / "tsv_small.txt").read_text(encoding="utf-8")
    t = parse_bytes(text.encode("gb18030"), "gbk_table.txt")
    assert t.layout == "tsv" and len(t.projects) == 3
    assert t.projects[0].indicators[1].name == "展馆节能率"


def test_latin1_text_is_not_mistaken_for_a_table() -> None:
    with pytest.raises(ParseError, match="neither UTF-8"):
        parse_bytes("Café, déjà vu - naïve résumé\n".encode("latin-1") * 20, "latin.txt")


def test_utf8_bom_and_crlf() -> None:
    text = (FIXTURES / "pdf_small.txt").read_text(encoding="utf-8")
    t = parse_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"), "crlf.txt")
    assert [p.name for p in t.projects] == ["港口物流发展扶持资金", "商务综合服务经费", "招商推介经费"]


def test_layout_is_detected_from_content_not_name(tmp_path: Path) -> None:
    src = (FIXTURES / "five_column_small.txt").read_bytes()
    renamed = tmp_path / "000_looks_like_city.tsv"
    renamed.write_bytes(src)
    assert parse_file(renamed).layout == "five_column"
    assert detect(read_document(src, "table.txt"))[0].layout == "five_column"


def test_ids_depend_on_content_and_position() -> None:
    text = (FIXTURES / "tsv_small.txt").read_text(encoding="utf-8")
    a = parse_text(text, "a.txt")
    assert [p.id for p in a.projects] == [p.id for p in parse_text(text, "a.txt").projects]
    changed = parse_text(text.replace("支持会展业发展。", "支持会展业高质量发展。"), "a.txt")
    assert {p.id for p in a.projects}.isdisjoint(p.id for p in changed.projects)
    other_name = parse_text(text, "b.txt")
    assert {p.id for p in a.projects}.isdisjoint(p.id for p in other_name.projects)


def test_header_without_rows_is_refused() -> None:
    text = (FIXTURES / "five_column_small.txt").read_text(encoding="utf-8")
    header_only = text.split("\n")[:4]
    with pytest.raises(ParseError, match="no rows"):
        parse_text("\n".join(header_only), "empty.txt")


def test_unknown_department_is_refused() -> None:
    text = (FIXTURES / "tsv_small.txt").read_text(encoding="utf-8")
    with pytest.raises(ParseError, match="district") as info:
        parse_text(text.replace("部门名称：广州市越秀区商务局", "部门名称：商务工作组"), "nodistrict.txt")
    assert info.value.file == "nodistrict.txt"


def test_text_before_the_first_indicator_is_refused() -> None:
    text = (FIXTURES / "tsv_small.txt").read_text(encoding="utf-8")
    broken = text.replace("<p>1、1-产出指标;11-数量指标", "<p>见附件。1、1-产出指标;11-数量指标")
    with pytest.raises(ParseError, match="before the first indicator") as info:
        parse_text(broken, "prefix.txt")
    assert info.value.line == 11


def test_non_wanyuan_amounts_are_refused() -> None:
    text = (FIXTURES / "tsv_small.txt").read_text(encoding="utf-8")
    with pytest.raises(ParseError, match="元"):
        parse_text(text.replace("单位：万元", "单位：元"), "yuan.txt")


def test_bad_amount_names_the_line() -> None:
    text = (FIXTURES / "tsv_small.txt").read_text(encoding="utf-8")
    with pytest.raises(ParseError, match="not an amount") as info:
        parse_text(text.replace("200.00\t150.00", "两百\t150.00"), "amount.txt")
    assert info.value.line == 13


def test_page_furniture_of_a_multi_page_pdf_is_ignored() -> None:
    text = (FIXTURES / "pdf_small.txt").read_text(encoding="utf-8")
    lines = text.split("\n")
    header = next(line for line in lines if line.startswith("项目名称"))
    title = "项目支出绩效目标表（含转移支付项目）"
    at_goal = lines.index("航运服务能力。")
    at_indicator = next(i for i, line in enumerate(lines) if line.startswith("益指标；21-经济效益"))
    paged = [*lines[:at_indicator], "- 2 -", "", title, header, "", *lines[at_indicator:]]
    paged = [*paged[:at_goal], "第 1 页，共 3 页", *paged[at_goal:]]
    t = parse_text("\n".join(paged), "paged.txt")
    reference = parse_text(text, "paged.txt")
    assert [(p.name, p.goal, p.amounts) for p in t.projects] == [
        (p.name, p.goal, p.amounts) for p in reference.projects
    ]
    assert [
        [(i.ordinal, i.level2_code, i.name, i.cycle_value, i.annual_value) for i in p.indicators]
        for p in t.projects
    ] == [
        [(i.ordinal, i.level2_code, i.name, i.cycle_value, i.annual_value) for i in p.indicators]
        for p in reference.projects
    ]


def test_repeated_tsv_header_is_ignored() -> None:
    text = (FIXTURES / "tsv_small.txt").read_text(encoding="utf-8")
    lines = text.split("\n")
    header = next(line for line in lines if line.startswith("项目名称"))
    at = next(i for i, line in enumerate(lines) if line.startswith("商贸流通工作经费"))
    t = parse_text("\n".join([*lines[:at], header, *lines[at:]]), "paged.txt")
    assert [p.name for p in t.projects] == ["会展扶持专题", "商贸流通工作经费", "招商活动经费"]


def test_a_budget_unit_line_in_the_preamble_is_not_a_money_unit() -> None:
    text = (FIXTURES / "tsv_small.txt").read_text(encoding="utf-8")
    t = parse_text(text.replace("单位：万元", "预算单位：广州市越秀区商务局\n单位：万元"), "unit.txt")
    assert len(t.projects) == 3


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _drop_line(text: str, prefix: str) -> str:
    return "\n".join(line for line in text.split("\n") if not line.startswith(prefix))


@pytest.mark.parametrize(
    ("name", "make", "line", "words"),
    [
        # cut in the last indicator, no final line break
        ("cut.txt", lambda: _fixture("tsv_cut_file.txt"), 15, "ends in the middle of a row"),
        # cut between rows: only 合计 can tell
        (
            "rows.txt",
            lambda: _drop_line(_fixture("tsv_small.txt"), "商贸流通工作经费"),
            9,
            "合计 says 1250.50",
        ),
        # a unit row whose projects were cut off
        (
            "unit.txt",
            lambda: _drop_line(_fixture("tsv_small.txt"), "招商活动经费"),
            14,
            "followed by no project",
        ),
        # the next indicator's ordinal left dangling after a value
        (
            "dangling.txt",
            lambda: _fixture("tsv_small.txt").replace("年度指标值:不少于3场。", "年度指标值:不少于3场。2"),
            15,
            "incomplete value '不少于3场。2'",
        ),
        (
            "bare.txt",
            lambda: _fixture("tsv_small.txt").replace("年度指标值:不少于3场。", "年度指标值:不少于"),
            15,
            "incomplete value '不少于'",
        ),
        (
            "empty.txt",
            lambda: _fixture("tsv_small.txt").replace("年度指标值:不少于3场。", "年度指标值:。"),
            15,
            "empty 年度指标值",
        ),
        # PDF: the last project lost its goal and indicators
        ("pdf_cut.txt", lambda: _fixture("pdf_small.txt").split("举办招商推介活动")[0], 44, "no indicators"),
        # PDF, goal after indicators: a cut indicator must not pass for a goal
        (
            "pdf_goal_after.txt",
            lambda: _fixture("pdf_small.txt").replace(
                "满意度；实施周期指标值:≥85%；年度指标值:≥85%", "满意度"
            ),
            33,
            "no 年度指标值",
        ),
    ],
)
def test_truncations_are_detected(name: str, make: object, line: int, words: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_text(make(), name)  # type: ignore[operator]
    assert (info.value.file, info.value.line) == (name, line)
    assert words in str(info.value)


def test_tables_that_end_without_a_line_break_are_fine_when_complete() -> None:
    text = _fixture("tsv_small.txt").rstrip("\n")
    assert len(parse_text(text, "no_newline.txt").projects) == 3
    five = _fixture("five_column_small.txt").rstrip("\n")
    assert len(parse_text(five, "no_newline5.txt").projects) == 2
