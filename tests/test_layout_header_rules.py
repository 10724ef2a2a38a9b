"""Header-block and whole-form rules of the national-form interpreter, on small synthetic forms
modelled on real ones (东莞, 甘肃, 新疆兵团, 江西, 海南, 乌海, 澧县 …): goals, names, funds, and forms
cut before their indicator table."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from indexer.errors import ParseError
from indexer.layouts import interpret
from indexer.layouts.national_form import NationalFormInterpreter, joined_goal
from indexer.readers.base import Document, Sheet

INTERPRETER = NationalFormInterpreter()


def _form(rows: list[list[str]]) -> Document:
    width = max(len(r) for r in rows)
    grid = tuple(tuple(r + [""] * (width - len(r))) for r in rows)
    return Document("form.xlsx", "0" * 64, "xlsx", (Sheet("表1", "sheet", 0, grid),))


def test_a_whole_department_title_with_project_in_it_is_still_the_departments_form():
    """部门整体支出项目绩效目标申报表 (澧县): 整体支出 before 项目绩效 makes it a whole-department
    form, named after the department — not 部门整体支出 read off the title."""
    rows = [
        ["部门整体支出项目绩效目标申报表"],
        ["部门(单位)名称", "某研究所"],
        ["年度预算申请（万元）", "资金总额", "20"],
        ["整体绩效目标", "推广新品种。"],
        ["绩效目标", "一级指标", "二级指标", "三级指标", "指标解释", "指标说明及公式", "预期达到目标"],
        ["", "产出指标", "数量指标", "推广品种数量", "推广品种数量", "", "3种"],
    ]
    (project,) = INTERPRETER.interpret(_form(rows)).projects
    assert (project.name, project.amounts.total) == ("某研究所整体支出", 20)
    assert [(i.name, i.annual_value) for i in project.indicators] == [("推广品种数量", "3种")]


def test_a_form_cut_before_its_indicator_table_is_a_project_without_indicators():
    """甘肃: the second form of a document is cut inside its header block — its project is read
    (name, funds) with no indicators, not reported as an unread sheet; a document holding only
    such a block is still no national form."""
    form = [["项目名称", "某项目"], ["资金总额", "10"], ["一级指标", "二级指标", "三级指标", "指标值"],
            ["产出指标", "数量指标", "人数", "5人"]]  # fmt: skip
    cut = [["项目名称", "另一项目"], ["资金总额", "7"]]
    sheets = (_form(form).sheets[0], replace(_form(cut).sheets[0], name="表2", index=1))
    document = Document("form.xlsx", "0" * 64, "xlsx", sheets)
    result = interpret(document)
    assert [(p.name, p.amounts.total, len(p.indicators)) for p in result.table.projects] == [
        ("某项目", 10, 1), ("另一项目", 7, 0),
    ]  # fmt: skip
    assert result.warnings == ()
    assert str(result.table.projects[1].origin) == "form.xlsx, sheet 表2, cell B1"
    with pytest.raises(ParseError, match="no national form found"):
        INTERPRETER.interpret(Document("form.xlsx", "0" * 64, "xlsx", document.sheets[1:]))


def test_dongguan_header_period_goals_and_fiscal_only_funds():
    """东莞: the sub-labels 实施周期总目标（2022年--2024年） | 年度目标 are no goal (the annual goal comes
    first), the one funds line 本年度申请市财政预算资金 is the total, and a row whose annual half is
    blank keeps the level-2 its medium-term half starts."""
    rows = [
        ["预算单位：某馆"],
        ["项目名称", "物业管理", "本年度申请市财政预算资金（万元）", "282.92"],
        ["总体目标", "实施周期总目标（2022年--2024年）", "", "", "年度目标", "", ""],
        ["", "三年保障运转。", "", "", "本年保障运转。", "", ""],
        ["一级指标", "二级指标", "三级指标", "实施周期指标值", "二级指标", "三级指标", "当年度指标值"],
        ["产出指标", "数量指标", "服务面积", "2.6万平方米", "数量指标", "服务面积", "2.6万平方米"],
        ["效果指标", "社会效益指标", "开放天数", "≥900天", "社会效益指标", "开放天数", "≥300天"],
        ["", "可持续影响指标", "长效管护", "建立", "", "", ""],
    ]
    (project,) = INTERPRETER.interpret(_form(rows)).projects
    assert project.goal == "本年保障运转。；三年保障运转。"
    assert (project.amounts.total, project.amounts.fiscal) == (Decimal("282.92"), Decimal("282.92"))
    got = [(i.name, i.cycle_value, i.annual_value, i.level2_code) for i in project.indicators]
    assert got == [
        ("服务面积", "2.6万平方米", "2.6万平方米", "11"),
        ("开放天数", "≥900天", "≥300天", "22"),
        ("长效管护", "建立", None, "24"),
    ]


def test_a_goal_wrapped_over_lines_is_one_text_and_its_own_breaks_are_kept():
    """A PDF prints a goal cell's wraps as lines: a break after no 。；：… and before no numbering is
    a wrap (joined), the others separate the goal's parts; the cycle goal equal to the annual one once
    unwrapped is not repeated."""
    cycle = "1.开展质量安全监测，检测批次达\n到2批次/千人。\n2.完成认证。"
    annual = "1.开展质量安全监测，检测\n批次达到2批次/千人。\n2.完成认证。"
    rows = [
        ["项目名称", "某项目"],
        ["总体目标", "中期目标", "年度目标"],
        ["", cycle, annual],
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出指标", "数量指标", "监测批次", "≥100组"],
    ]
    (project,) = INTERPRETER.interpret(_form(rows)).projects
    assert project.goal == "1.开展质量安全监测，检测批次达到2批次/千人。；2.完成认证。"


def test_programme_and_project_names_requested_funds_and_a_whole_project_goal():
    """甘肃: 一级项目名称 (the programme, here with a stray * inside) beside 二级项目名称 — the project is
    the 二级; 预算申报数 is the year's total and 项目总投资 only counts when nothing else does; 省级财政
    安排 is local money. 新疆兵团: 项目总目标 beside 年度总体目标 — the annual goal first. 江西: the
    计算符号 | 目标值 | 度量单位 columns make one target, 指标值说明 explains it and is no target."""
    rows = [
        ["一*级项目名称", "文化事业发展专项资金", "二级项目名称", "免费开放补助资金"],
        ["项目总投资", "60万元", "中央补助安排", "0"],
        ["省级财政安排", "5万元", "预算申报数", "20万元"],
        ["项目绩效目标", "项目总目标", "年度总体目标"],
        ["", "三年建成。", "本年开放。"],
        ["一级指标", "二级指标", "三级指标", "计算符号", "目标值", "度量单位", "指标值说明"],
        ["产出指标", "数量指标", "开放天数", "=", "300", "天", "该指标值数据合理"],
    ]
    (project,) = INTERPRETER.interpret(_form(rows)).projects
    assert (project.name, project.goal) == ("免费开放补助资金", "本年开放。；三年建成。")
    a = project.amounts
    assert (a.total, a.central, a.local) == (Decimal(20), Decimal(0), Decimal(5))
    assert [(i.name, i.annual_value) for i in project.indicators] == [("开放天数", "=300天")]
    rows[2] = ["省级财政安排", "5万元"]
    rows[0] = ["一级项目名称", "文化事业发展专项资金"]
    (project,) = INTERPRETER.interpret(_form(rows)).projects
    assert (project.name, project.amounts.total) == ("文化事业发展专项资金", Decimal(60))  # alone


def test_exported_headings_codes_serial_dates_and_a_project_form_without_name():
    """海南: headings with * after them and 绩效 before 指标性质/度量单位 still name the sign and unit;
    no 项目名称 under a 项目绩效目标表 title: the department's project, not its whole expenditure.
    乌海: 投入目标（万元） heads the funds (no goal); a unit cell holding a number (a date exported as
    44,561) is not joined to the value; the (部门) an export adds to a name is dropped."""
    rows = [
        ["项目绩效目标表"],
        ["主管部门:省某厅", "", "资金总额:100"],
        ["投入目标 (万元)", "资金来源", "年初安排金额(万元)"],
        ["", "其他资金", "0"],
        ["总体目标", "办好展会。"],
        ["一级指标*", "二级指标*", "三级指标*", "绩效指标性质*", "绩效指标值*", "绩效度量单位", "权重*"],
        ["产出指标", "数量指标", "综合收入", "≥", "280", "亿元", "30%"],
        ["产出指标", "时效指标", "到位时间", "=", "44,561", "44,561", "10%"],
    ]
    (project,) = INTERPRETER.interpret(_form(rows)).projects
    assert (project.name, project.goal, project.amounts.total) == ("省某厅项目", "办好展会。", Decimal(100))
    assert [(i.name, i.annual_value) for i in project.indicators] == [
        ("综合收入", "≥280亿元"),
        ("到位时间", "=44,561"),
    ]
    rows[1] = ["主管部门", "(433)某市供销合作社联合社(部门)", "资金总额:100"]
    assert INTERPRETER.interpret(_form(rows)).projects[0].department == "某市供销合作社联合社"


def test_a_goal_lead_in_ending_in_a_colon_runs_on_into_its_parts():
    goal = joined_goal("达成以下目标：\n目标1：聘用1人。\n目标2：出差8人")
    assert goal == "达成以下目标：目标1：聘用1人。；目标2：出差8人"
    assert joined_goal("完成改造；\n\n通过验收") == "完成改造；通过验收"


def test_goals_and_funds_read_the_same_from_every_format():
    """What a format loses must not change the reading: 年初设定目标 | 年度总体目标完成情况综述 are both
    sub-labels (the achieved one is no goal); a PDF wraps 整体目标: … onto a second line of the cell
    (the goal goes on); delimited text prints a cell's line breaks as spaces (目标2：, 二、自有资金:0
    start a new part)."""
    rows = [
        ["项目名称", "某项目"],
        ["资金情况", "资金总额: 250 一、预算资金:250 二、自有资金:0 三、其他:0"],
        ["年度总体目标", "年初设定目标", "年度总体目标完成情况综述"],
        ["", "完成改造。 目标2：通过验收。", "已完成。"],
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出指标", "数量指标", "改造数量", "3个"],
    ]
    (project,) = INTERPRETER.interpret(_form(rows)).projects
    assert (project.goal, project.amounts.total, project.amounts.other) == (
        "完成改造。；目标2：通过验收。", Decimal(250), Decimal(0),
    )  # fmt: skip
    rows[2:4] = [["整体目标: 考核评议各县市履行食品\n安全责任工作。"]]
    assert INTERPRETER.interpret(_form(rows)).projects[0].goal == "考核评议各县市履行食品安全责任工作。"


def test_a_form_printing_no_project_name_takes_it_from_the_files_name():
    """海南: no 项目名称 under a generic 项目绩效目标表 title — a file named after the project (form words
    in its name, an 附件 number before it) names it; a file name without form words names nothing,
    and the department's project stands in as before."""
    rows = [
        ["项目绩效目标表"],
        ["主管部门:省某厅", "", "资金总额:100"],
        ["总体目标", "办好展会。"],
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出指标", "数量指标", "展会数量", "≥5个"],
    ]
    sheets = _form(rows).sheets

    def name(file_name: str) -> str:
        (project,) = INTERPRETER.interpret(Document(file_name, "0" * 64, "xlsx", sheets)).projects
        return project.name

    named = "附件2：2021年第四季度省级会展项目奖励资金绩效目标表.xlsx"
    assert name(named) == "2021年第四季度省级会展项目奖励资金"
    assert name("附件2.项目绩效目标表.xlsx") == "省某厅项目"
    assert name("hainan-2022.xlsx") == "省某厅项目"

