"""The national-form interpreter on every rendering of the real forms and the synthetic ones.

Oracle: ``eval/external/{north,south}.jsonl`` transcribed the same published forms as
indicator rows (held out from classifier training; used here only as the ingest's
expected output). For every source the interpreter's (name, value, 实施期 value, level-1,
code) rows must equal the oracle's, but for the disagreements listed in ``EXTRA`` with the
reason: rows the oracle leaves out on purpose (cut by the page, or printed without a value),
which the interpreter keeps because nothing read is dropped.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from national_transcriptions import FORMS as INGEST3_FORMS
from readers_support import SOURCES, rendering_cases, renderings

from indexer.errors import ParseError
from indexer.layouts import detect
from indexer.layouts.national_form import NationalFormInterpreter
from indexer.readers import read_document
from indexer.readers.base import Document, Sheet
from indexer.text import canonical

__all__ = ["renderings"]  # the session fixture, imported for pytest

ROOT = Path(__file__).resolve().parents[1]
INTERPRETER = NationalFormInterpreter()

# stem → [(project name, 年度资金总额 in 万元, printed unit, indicator count)]
EXPECTED: dict[str, list[tuple[str, str | None, str | None, int]]] = {
    "ah-bozhou-qxj-2023": [("亳州市人工增雨飞机作业项目", "189.8", None, 2)],
    "ah-guichi-txz-wtyw-2022-zp": [("委托业务项目", "0", None, 10)],  # 年度资金总额 printed 0
    "ah-huaibei-wlt-ncwh-2025": [("农村文化建设配套补助经费", "5.00", None, 9)],
    "ah-jinan-tyj-2025": [
        ("2025金安国际网球公开赛（国际系列赛事）", "1000.00", None, 11),
        ("安徽省常规赛费用", "1200.00", None, 0),  # cut by the page after its first label
    ],
    "ah-jinzhai-kfq-2021": [("物业管理", "1125", None, 9)],
    "ah-luan-nyncj-zjtx-2024": [("发展建设类-农产品质检体系建设和“三品一标”发展项目", "51.35", None, 7)],
    "ah-mengcheng-wjw-2024": [("国家基本公共卫生服务项目", "2279.048", None, 3)],
    "fj-xiuyu-slzx-2025": [("省级第七批水利专项资金", "35", None, 5)],
    "hb-ningjin-gzzxj-2019-pj": [("2019年度宁晋县高中助学金", None, None, 6)],
    "jx-fuliang-lyj-2026": [("浮梁县林业局整体支出", None, None, 13)],  # whole-department, no funds printed
    "s-gansu-jiayuguan-bowuguan-2023": [
        ("博物馆纪念馆市级免费开放补助资金", "20", None, 10),  # 二级项目名称
        ("博物馆提升改造项目", "174.78", None, 0),  # cut before its indicator table: no indicators
    ],
    "s-chongqing-fengjie-yunwu-2023": [("2023年云雾土家族乡加工园配套设施建设项目", "65", None, 1)],
    "s-hubei-qingshan-bogai-2020": [("农村义务教育薄弱学校改造补助资金", "16", None, 9)],
    "s-hubei-qingshan-jichusheshi-2020": [("教育系统基础设施建设和设备购置", "10000", None, 7)],
    "s-hunan-lixian-shiyongjun-2021": [("澧县食用菌研究所整体支出", "222.45", None, 9)],  # whole-department
    "s-hunan-nanyue-lvyou-2018": [("2018年市级专项扶贫资金基础设施（人大代表扶贫基地）", "10", None, 16)],
    "s-hunan-nanyue-zichan-2018": [("2018年南岳镇资产收益扶贫项目", "214.06", None, 11)],
    "s-hunan-xiangtan-wupao-2023": [("雾炮车降尘抑尘服务", "250", None, 7)],
    "s-hunan-xiangtan-wupao-2024": [("雾炮车抑尘降尘服务", "250", None, 7)],
    "s-hunan-yueyang-gbnt-2022": [("岳阳县2022年高标准农田建设项目", "854", None, 12)],
    "s-ningxia-yuanzhou-hanyanglin-2022": [("原州区2022年南部水源涵养林建设项目", "6070.00", None, 11)],
    "s-shaanxi-hanyin-puhui-2022": [("普惠金融发展专项资金", "112", None, 7)],
    "s-sichuan-ganzi-shijian-food": [("甘孜藏族自治州市场监督管理局机关食品安全工作", None, None, 11)],
    "s-sichuan-zhaohua-tekun-2021": [("特困家庭再扶助（独生子女死亡再扶助）", None, None, 9)],
    "s-hainan-huizhan-jiangli": [("省商务厅项目", "2430.30", None, 1)],  # no project name printed
    "s-yunnan-nanhua-yejunjun": [
        ("南华县乡村振兴示范园罗家屯社区野生菌加工车间建设项目（续建）", "1100", None, 5)
    ],
    "s-xinjiang-bingtuan6tuan-baoxianku-2021": [
        ("第一师六团巩固脱贫攻坚与乡村振兴有效衔接特色产业基地气调保鲜库建设项目", "1500", None, 3)
    ],
    "s-yunnan-yongde-yingyang-2022": [("义务教育营养改善计划专项资金", "38.766462", "元", 9)],
    "sd-linyi-sfxx-2025": [("小学教育公用经费", "438.768", None, 8)],
    "sx-lvliang-hgpx-2021-pj": [("2021年吕梁山护工培训", None, None, 13)],
    "tj-baodi-xqfw-2022": [("农业绿色发展专项（畜禽粪污资源化利用整县推进项目）", "2350", None, 5)],
    "tj-hbq-fy-2023": [
        ("安全隐患维修", "20.00", None, 6),
        ("办案业务费（陪审员及互联网专线）", "24.00", None, 5),
    ],
    "tj-qcgw-kyzq-hw-2020": [("疫情期间区域病媒防治环境卫生清洁等费用", "5652", None, 11)],
    "zj-linhai-lhyh": [("绿化养护经费", None, None, 7)],
    "synthetic-county-transport": [("乡村道路养护", "120.00", None, 2), ("农村客运补贴", "86.50", None, 2)],
    "synthetic-culture-special": [("2024年市级文化旅游发展专项资金", "360", "元", 6)],
    "synthetic-hanyin-water": [("汉阴县农村饮水安全巩固提升工程", "2279.048", "元 (other)", 9)],
    "synthetic-split-tables": [
        ("农村公路日常养护", "356.00", None, 4)
    ],  # header block and indicators: 2 tables
    "synthetic-stacked-costs": [("社区养老服务补助", "48.00", None, 7), ("老年人能力评估", "15", "元", 4)],
}

# Rows the interpreter reads that the oracle leaves out, by indicator name, and why.
EXTRA: dict[str, tuple[set[str], str]] = {
    "ah-bozhou-qxj-2023": (
        {"围绕农业生产、生态环境修复、改善空气质量等需求"},
        "the page is cut inside the annual value (解…): the oracle skips the row, the interpreter keeps it",
    ),
    "ah-guichi-txz-wtyw-2022-zp": (
        {"公众满"},
        "the page is cut inside the 满意度 indicator's name, before its value; skipped by the oracle",
    ),
    "fj-xiuyu-slzx-2025": (
        {"是"},
        "the page is cut at the 社会效益指标 indicator's first character; skipped by the oracle",
    ),
    "ah-mengcheng-wjw-2024": (
        {"0-6岁儿童眼保健和视力检查覆盖率"},
        "the page is cut after the value's ≧; read as an indicator without a value, skipped by the oracle",
    ),
    "s-gansu-jiayuguan-bowuguan-2023": (
        {"资金使用效率", "为当地提供就业LJUI,冈位", "历史文化传承环保意识时限"},
        "rows the page's text recognition damaged (二100百分比, LJUI,冈位, name and value run together): "
        "the oracle skips them, the interpreter keeps them as printed",
    ),
    "s-hunan-lixian-shiyongjun-2021": (
        {"培育推广成功率"},
        "the page is cut inside this indicator's explanation, before its value; skipped by the oracle",
    ),
    "s-ningxia-yuanzhou-hanyanglin-2022": (
        {
            "增加就业机会，提高农民收入。",
            "提高森林覆盖率，促进生物多样性保护。",
            "提高森林生态系统服务功能，显著改善项目区及周边地区的生态环境。",
        },
        "qualitative rows printed without a value: the oracle transcribes only rows with a value",
    ),
    "tj-baodi-xqfw-2022": (
        {"完工项目县规模养殖场畜禽粪污处理"},
        "the page is cut inside this indicator's name, before its value; skipped by the oracle",
    ),
}
NOT_NATIONAL = {
    "nm-zhalaite-jcy-2025",
    "s-sichuan-jingyan-mata-2023",
    "synthetic-long-repeated",
}  # long tables
CASES = [(stem, fmt) for stem, fmt in rendering_cases() if stem in EXPECTED]


def _oracle() -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = defaultdict(list)
    for name in ("north", "south"):
        for line in (ROOT / "eval" / "external" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            rows[row["source_id"]].append(row)
    return rows


ORACLE = _oracle()


def _key(text: str | None) -> str:
    return canonical(text or "").replace(" ", "")


def _read(renderings: dict, stem: str, fmt: str):
    path = renderings[stem][fmt]
    return read_document(path.read_bytes(), path.name)


def test_every_expected_stem_is_a_fixture():
    assert set(EXPECTED) | NOT_NATIONAL | set(OWN_TRANSCRIPTION) | set(INGEST3_FORMS) == {
        stem for stem in SOURCES if not stem.startswith("seed-")
    }


@pytest.mark.parametrize(("stem", "fmt"), CASES)
def test_national_form_reads_every_rendering(renderings, stem, fmt):
    document = _read(renderings, stem, fmt)
    best = detect(document)[0]
    assert best.layout == "national_form" and best.score >= 0.7, best
    table = INTERPRETER.interpret(document)
    got = [
        (
            p.name,
            None if p.amounts.total is None else p.amounts.total.normalize(),
            p.amounts.printed_unit,
            len(p.indicators),
        )
        for p in table.projects
    ]
    want = [(n, None if t is None else Decimal(t).normalize(), u, k) for n, t, u, k in EXPECTED[stem]]
    assert got == want
    for project in table.projects:
        assert project.origin is not None and project.origin.file == document.file_name
        assert project.origin.row is not None or project.origin.line is not None
        assert project.id and project.source_file == document.file_name
        assert [i.ordinal for i in project.indicators] == list(range(1, len(project.indicators) + 1))
        for ind in project.indicators:
            assert ind.origin is not None and ind.origin.file == document.file_name
            assert (ind.origin.sheet or ind.origin.page) is not None or fmt.endswith(("csv", "txt"))
            assert ind.origin.row is not None or ind.origin.line is not None
    if stem.startswith("synthetic-"):
        return
    mine = [
        (_key(i.name), _key(i.annual_value), _key(i.cycle_value) or None, i.level1, i.level2_code)
        for p in table.projects
        for i in p.indicators
    ]
    oracle = [
        (
            _key(r["name"]),
            _key(r["value"]),
            _key(r["cycle_value"]) or None,
            r["level1"],
            r["code"] and str(r["code"]),
        )
        for r in ORACLE[stem]
    ]
    extra_names, _reason = EXTRA.get(stem, (set(), ""))
    assert [m for m in mine if m[0] not in {_key(n) for n in extra_names}] == oracle
    assert {m[0] for m in mine} - {o[0] for o in oracle} == {_key(n) for n in extra_names}


@pytest.mark.parametrize("stem", sorted(NOT_NATIONAL))
def test_long_tables_are_not_national_forms(renderings, stem):
    assert INTERPRETER.score(_read(renderings, stem, "xlsx")).score < 0.5


TONGNAN = [  # the fixture's two forms as transcribed: (project, 当年预算, [(indicator, value)])
    (
        "潼南区五桂镇汇总项目库",
        "229.66",
        [("发放人数", "≥80人数"), ("是否按时足额发放", "≥95%"), ("促进社会和谐", None), ("保障收入", None),
         ("保障权益", None)],
    ),
    (
        "在职村村干部补助",
        "9.31",
        [("按月发放", "=1次"), ("本土人才满意度", "≥95%"), ("发放金额", "≥9.31万元"),
         ("领取补助人数", "≥100人"), ("促进经济发展", None)],
    ),
]  # fmt: skip


LONGYAN = [  # fj-longyan-mzj-zjzf-2023 as transcribed: (name, value, code); no oracle rows in eval/
    (
        "宗教管理经费补助县（市、区）数量",
        "新罗区：2；永定区：3；上杭县：1；武平县：2；长汀县：2；连城县：2；漳平市：2",
        "11",
    ),
    ("项目资金使用合规性", "≥95%", "12"),
    ("项目完成率", None, "12"),  # cut by the page inside its explanation: no value
]
OWN_TRANSCRIPTION = {"s-chongqing-tongnan-wugui-2023": TONGNAN, "fj-longyan-mzj-zjzf-2023": LONGYAN}
"""Fixtures without rows in eval/external: their tests compare with the transcription here."""


@pytest.mark.parametrize("fmt", ["xlsx", "docx", "html", "csv", "gb18030.csv", "utf16.txt", "pdf"])
def test_a_target_per_county_under_one_value_header_is_kept_per_county(renderings, fmt):
    """龙岩's transfer-payment form: 区域目标值 spans seven columns named by a second header row.
    Each county's target is kept (one text when all agree), the second header row is no indicator,
    and a per-county list has no single number (qualitative target)."""
    document = _read(renderings, "fj-longyan-mzj-zjzf-2023", fmt)
    (project,) = INTERPRETER.interpret(document).projects
    assert [(i.name, i.annual_value, i.level2_code) for i in project.indicators] == LONGYAN
    assert (project.name, project.department) == ("宗教管理经费补助", "龙岩市民族与宗教事务局")
    assert (project.amounts.total, project.amounts.fiscal) == (Decimal(30), Decimal(30))
    assert (project.province, project.city, project.budget_year) == ("福建省", "龙岩市", 2023)
    first, second, _ = project.indicators
    assert first.target.qualitative and first.target.number is None
    assert second.target.number == 95 and second.target.comparator == ">="


def _pairs(project) -> list[tuple[str, str | None]]:
    return [(_key(i.name), i.annual_value and _key(i.annual_value)) for i in project.indicators]


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "docx", "html", "pdf"])
def test_indicators_without_level_columns_are_read_with_the_category_unknown(renderings, fmt):
    """潼南区五桂镇 prints 指标 | 指标权重 | 计量单位 | 指标性质 | 指标值: no category column, so the
    indicators come with level-1 and code unknown (for the classifier), the unit printed before the
    value joined after it, the 定性 rows kept without a value."""
    table = INTERPRETER.interpret(_read(renderings, "s-chongqing-tongnan-wugui-2023", fmt))
    got = [
        (
            p.name,
            str(p.amounts.total),
            [(_key(i.name), i.annual_value and _key(i.annual_value)) for i in p.indicators],
        )
        for p in table.projects
    ]
    assert got == [(n, t, [(_key(a), b and _key(b)) for a, b in rows]) for n, t, rows in TONGNAN]
    for project in table.projects:
        assert (project.province, project.county, project.budget_year) == ("重庆市", "潼南区", 2023)
        assert {(i.level1, i.level2_code) for i in project.indicators} == {(None, None)}
        assert all(i.origin is not None and i.origin.row is not None for i in project.indicators)


def test_stacked_forms_2021_costs_and_environment_benefit(renderings):
    table = INTERPRETER.interpret(_read(renderings, "synthetic-stacked-costs", "xlsx"))
    first, second = table.projects
    assert [(i.level1, i.level2_code) for i in first.indicators] == [
        ("产出", "11"), ("产出", "13"), ("成本", "41"), ("成本", "42"), ("成本", "43"), ("效益", "23"),
        ("满意度", "31"),
    ]  # fmt: skip
    assert first.indicators[0].annual_value == "≥1,200人次" and first.indicators[0].target.number == 1200
    assert first.indicators[4].annual_value == "≤2万千瓦时"
    assert first.district == "" and first.department == "某单位"  # no region printed: read all the same
    assert second.amounts.fiscal == Decimal(15) and second.amounts.printed_unit == "元"
    assert second.origin.row == 20 and second.indicators[-1].name == "评估对象满意度"


def test_separate_cycle_and_annual_value_columns(renderings):
    table = INTERPRETER.interpret(_read(renderings, "synthetic-culture-special", "html"))
    (project,) = table.projects
    first = project.indicators[0]
    assert (first.name, first.cycle_value, first.annual_value) == ("公益性文化活动场次", "≥360场", "≥120场")
    assert first.target.number == 120
    assert project.indicators[-1].level1 == "满意度" and project.indicators[-1].level2_code == "31"
    assert project.goal.startswith("完成平台一期建设") and "三年内建成" in project.goal
    assert project.amounts.total == Decimal(360) and project.amounts.printed_unit == "元"


def test_mixed_units_are_converted_and_named(renderings):
    (project,) = INTERPRETER.interpret(_read(renderings, "synthetic-hanyin-water", "docx")).projects
    a = project.amounts
    assert (a.total, a.fiscal, a.central, a.local, a.other) == (
        Decimal("2279.048"), Decimal("2000.00"), Decimal(1500), Decimal(500), Decimal("279.048"),
    )  # fmt: skip
    assert a.printed_unit == "元 (other)"  # only 其他资金 was printed in 元
    assert project.department == "汉阴县水利局" and project.district == "汉阴县"
    assert project.indicators[4].level1 == "成本" and project.indicators[4].level2_code == "41"


@pytest.mark.parametrize(
    ("stem", "region"),
    [
        ("s-shaanxi-hanyin-puhui-2022", ("陕西省", "安康市", "汉阴县")),
        ("ah-jinan-tyj-2025", ("安徽省", "六安市", "金安区")),
        ("s-ningxia-yuanzhou-hanyanglin-2022", ("宁夏回族自治区", "固原市", "原州区")),
        ("synthetic-stacked-costs", (None, None, None)),
    ],
)
def test_every_form_gets_its_region_or_none(renderings, stem, region):
    """The region comes from indexer.region over the form's department, unit and title lines."""
    for project in INTERPRETER.interpret(_read(renderings, stem, "xlsx")).projects:
        assert (project.province, project.city, project.county) == region


def test_shifted_levels_give_level1_only(renderings):
    table = INTERPRETER.interpret(_read(renderings, "tj-baodi-xqfw-2022", "pdf"))
    assert {(i.level1, i.level2_code) for i in table.projects[0].indicators} == {
        ("产出", None),
        ("效益", None),
    }


def _document(rows: list[list[str]], merges: tuple = ()) -> Document:
    sheet = Sheet("表1", "sheet", 0, tuple(tuple(r) for r in rows), tuple(merges))
    return Document("form.xlsx", "0" * 64, "xlsx", (sheet,))


FORM_HEAD = [
    ["项目名称", "某项目", "", ""],
    ["主管部门", "某局", "", ""],
    ["年度目标", "完成任务。", "", ""],
    ["一级指标", "二级指标", "三级指标", "指标值"],
]


def test_an_unknown_category_label_keeps_the_indicator_with_the_category_unknown():
    """其他指标 / 创新指标 names no category: the row is read (nothing dropped, the file not refused)
    with level-1 and code unknown, as in a table printing no category column; a known level-1
    with an unknown level-2 keeps its level-1."""
    document = _document(
        [
            *FORM_HEAD,
            ["产出指标", "数量指标", "培训人数", "≥50人"],
            ["其他指标", "创新指标", "专利", "2项"],
            ["效益指标", "创新指标", "示范", "1个"],
        ]
    )
    assert detect(document)[0].layout == "national_form"
    (project,) = INTERPRETER.interpret(document).projects
    assert [(i.name, i.annual_value, i.level1, i.level2_code) for i in project.indicators] == [
        ("培训人数", "≥50人", "产出", "11"),
        ("专利", "2项", None, None),
        ("示范", "1个", "效益", None),
    ]
    assert str(project.indicators[1].origin) == "form.xlsx, sheet 表1, cell C6"


def test_a_label_row_without_indicator_is_no_indicator_and_a_form_without_region_is_read():
    document = _document(
        [*FORM_HEAD, ["产出指标", "数量指标", "培训人数", "≥50人"], ["效益指标", "生态效益指标", "", ""]]
    )
    (project,) = INTERPRETER.interpret(document).projects
    assert [(i.name, i.level2_code) for i in project.indicators] == [("培训人数", "11")]
    assert (project.district, project.province, project.county) == ("", None, None)
    assert project.department == "某局" and project.goal == "完成任务。"


def test_no_form_at_all_is_an_error_naming_the_file():
    with pytest.raises(ParseError, match=r"form\.xlsx, sheet 表1: no national form found"):
        INTERPRETER.interpret(_document([["项目名称", "某项目"], ["说明", "无"]]))


def test_funding_sources_are_mapped_into_amounts():
    """上级补助 → upper; 省级/市级资金 sum to local and 自筹/社会资金 to other when 地方资金 and
    其他资金 are not printed themselves; a printed 其他资金 wins over its parts."""
    funds = [
        ["项目名称", "某项目", "", ""],
        ["主管部门", "某县某局", "", ""],
        ["项目资金（万元）", "年度资金总额", "100", ""],
        ["", "其中：上级补助", "40", ""],
        ["", "省级资金", "20", ""],
        ["", "市级资金", "10万元", ""],
        ["", "自筹资金", "25", ""],
        ["", "社会资金", "50000元", ""],
        ["年度目标", "完成任务。", "", ""],
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出指标", "数量指标", "培训人数", "≥50人"],
    ]
    (project,) = INTERPRETER.interpret(_document(funds)).projects
    a = project.amounts
    assert (a.total, a.upper, a.local, a.other, a.central, a.fiscal) == (
        Decimal(100), Decimal(40), Decimal(30), Decimal(30), None, None,
    )  # fmt: skip
    funds[6] = ["", "其他资金", "5", ""]
    (project,) = INTERPRETER.interpret(_document(funds)).projects
    assert project.amounts.other == Decimal(5) and project.amounts.upper == Decimal(40)


def test_a_pdf_row_split_by_a_page_break_is_joined():
    """A ruled PDF table over two pages: the row at the foot of page 1 has its name cut and no
    value; its rest opens page 2 under the repeated header, with no label of its own. The next
    label-less row of page 2 has a name and a value of its own: a new indicator (label filled)."""
    header = ["一级指标", "二级指标", "三级指标", "指标值"]
    rows = [
        *FORM_HEAD[:3],
        header,
        ["产出指标", "数量指标", "培训人数", "≥50人"],
        ["产出指标", "质量指标", "培训合格率达到国家职", ""],
        header,
        ["", "", "业技能标准", "≥95%"],
        ["", "", "证书发放率", "100%"],
        ["效益指标", "社会效益指标", "就业率", "≥80%"],
    ]
    pages = (1, 1, 1, 1, 1, 1, 2, 2, 2, 2)
    sheet = Sheet("表格1", "table", 0, tuple(tuple(r) for r in rows), (), row_pages=pages)
    (project,) = INTERPRETER.interpret(Document("form.pdf", "0" * 64, "pdf", (sheet,))).projects
    assert [(i.name, i.annual_value, i.level2_code) for i in project.indicators] == [
        ("培训人数", "≥50人", "11"),
        ("培训合格率达到国家职业技能标准", "≥95%", "12"),
        ("证书发放率", "100%", "12"),
        ("就业率", "≥80%", "22"),
    ]
    assert project.indicators[1].origin.page == 1 and project.indicators[1].target.number == 95
    assert project.indicators[2].origin.page == 2
