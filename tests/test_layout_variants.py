"""Form variants of other provinces and years: the old 投入/产出/效果 framework, level columns told by
their content, whole-department forms, value columns told from type and unit columns. Real forms
(tests/national_transcriptions.py) in every rendering, and one small synthetic case per rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from national_transcriptions import FORMS
from readers_support import rendering_cases, renderings

from indexer.errors import ParseError
from indexer.ingest import read_path
from indexer.layouts.form_common import place_hint
from indexer.layouts.labels import classify
from indexer.layouts.national_form import NationalFormInterpreter, title_name
from indexer.readers.base import Document, Sheet
from indexer.text import canonical

__all__ = ["renderings"]

INTERPRETER = NationalFormInterpreter()
CASES = [(stem, fmt) for stem, fmt in rendering_cases() if stem in FORMS]


def _key(text: str | None) -> str | None:
    return None if text is None else canonical(text).replace(" ", "")


@pytest.mark.parametrize(("stem", "fmt"), CASES)
def test_real_forms_read_as_transcribed(renderings, stem, fmt):
    forms = FORMS[stem] if isinstance(FORMS[stem], list) else [FORMS[stem]]
    result = read_path(renderings[stem][fmt])
    assert result.layout_score.layout == "national_form" and result.warnings == ()
    assert len(result.table.projects) == len(forms)
    for project, (name, total, department, province, year, indicators) in zip(
        result.table.projects, forms, strict=True
    ):
        assert (project.name, project.department, project.province, project.budget_year) == (
            canonical(name),
            department,
            province,
            year,
        )
        assert project.amounts.total == (None if total is None else Decimal(total))
        got = [(_key(i.name), _key(i.annual_value), i.level1, i.level2_code) for i in project.indicators]
        assert got == [(_key(n), _key(v), l1, code) for n, v, l1, code in indicators]
        assert all(i.origin is not None and (i.origin.row or i.origin.line) for i in project.indicators)
        assert "：；" not in project.goal  # a lead-in part (达成以下目标：) runs on into the next


def _form(rows: list[list[str]]) -> Document:
    width = max(len(r) for r in rows)
    grid = tuple(tuple(r + [""] * (width - len(r))) for r in rows)
    return Document("form.xlsx", "0" * 64, "xlsx", (Sheet("表1", "sheet", 0, grid),))


def _indicators(rows: list[list[str]]) -> list[tuple]:
    (project,) = INTERPRETER.interpret(_form(rows)).projects
    return [(i.name, i.annual_value, i.level1, i.level2_code) for i in project.indicators]


HEAD = [["专项名称", "某专项"], ["主管部门名称：某厅"], ["总体绩效目标", "完成任务。"]]


def test_old_framework_levels_map_to_the_taxonomy():
    """投入/产出/效果 with …目标 level-2 labels under 绩效目标 | 评价指标 | 绩效内容 | 绩效标准 |
    全年绩效目标: 成本/时效 under 投入 are the pre-2021 14/13, 效果 gives 21–24 and 31 by its level-2
    label, and an unknown level-2 under 效果 (which holds outcomes and satisfaction) leaves the
    category unknown."""
    rows = [
        *HEAD,
        ["绩效目标", "评价指标", "绩效内容", "绩效标准", "全年绩效目标"],
        ["投入", "成本目标", "补助标准", "每人200元", "≤200元/人"],
        ["", "时效目标", "发放时间", "按月", "每月10日前"],
        ["产出", "数量目标", "补助人数", "全部", "432人"],
        ["", "质量目标", "发放准确率", "100%", "100%"],
        ["效果", "社会效益目标", "困难群众生活改善", "改善", "明显改善"],
        ["", "可持续影响目标", "长效机制", "建立", "建立"],
        ["", "服务对象满意度目标", "受助对象满意度", "≥90%", "≥95%"],
        ["", "其他目标", "示范带动", "有", "1个"],
    ]
    assert _indicators(rows) == [
        ("补助标准", "≤200元/人", "产出", "14"),
        ("发放时间", "每月10日前", "产出", "13"),
        ("补助人数", "432人", "产出", "11"),
        ("发放准确率", "100%", "产出", "12"),
        ("困难群众生活改善", "明显改善", "效益", "22"),
        ("长效机制", "建立", "效益", "24"),
        ("受助对象满意度", "≥95%", "满意度", "31"),
        ("示范带动", "1个", None, None),
    ]


def test_level1_column_holding_level2_labels_shifts_the_levels():
    """鄂州: 一级指标 | 二级指标 hold 数量指标 | the indicator; no level-1 printed, none invented."""
    rows = [
        ["项目名称", "某项目"],
        ["一级指标", "二级指标", "绩效标准", "当年预期实现值"],
        ["数量指标", "维修次数", "反映维修情况", "280次"],
        ["", "巡查次数", "反映巡查情况", "200次"],
        ["满意度指标", "服务对象满意度", "反映满意情况", "≥90%"],
        ["主管部门审核意见", "单位公章：年 月 日"],
    ]
    assert _indicators(rows) == [
        ("维修次数", "280次", "产出", "11"),
        ("巡查次数", "200次", "产出", "11"),
        ("服务对象满意度", "≥90%", "满意度", "31"),
    ]  # the sign-off row after the table is no indicator


def test_a_level2_column_of_labels_is_not_shifted():
    """满意度指标 reads as a level-2 label too: a level-1 column of mostly 满意度指标 beside a level-2
    column of labels is still the level-1 column."""
    rows = [["项目名称", "某项目"], ["一级指标", "二级指标", "三级指标", "指标值"],
            ["产出指标", "数量指标", "培训人数", "50人"],
            ["满意度指标", "服务对象满意度指标", "学员满意度", "≥90%"],
            ["满意度指标", "服务对象满意度指标", "企业满意度", "≥85%"],
            ["满意度指标", "服务对象满意度指标", "家长满意度", "≥80%"]]  # fmt: skip
    assert [(name, code) for name, _, _, code in _indicators(rows)] == [
        ("培训人数", "11"), ("学员满意度", "31"), ("企业满意度", "31"), ("家长满意度", "31"),
    ]  # fmt: skip


def test_value_type_and_unit_columns():
    """指标值类型 (定量/定性) is no value column; a unit column is joined only after a number."""
    rows = [
        ["部门（单位）名称", "某中心"],
        ["一级指标", "二级指标", "三级指标", "指标值类型", "*指标值", "计量单位", "*指标解释"],
        ["产出指标", "数量指标", "安排金额", "定量", "28.8万元", "%", "反映安排情况"],
        ["", "质量指标", "到位率", "定量", "100", "%", "反映到位情况"],
        ["效益指标", "社会效益指标", "正常运转", "定性", "应保尽保", "%", "反映运转情况"],
        ["", "", "……", "", "", "", ""],
    ]
    document = _form([["某中心2024年度部门整体支出绩效目标表"], *rows])
    (project,) = INTERPRETER.interpret(document).projects
    assert [(i.name, i.annual_value) for i in project.indicators] == [
        ("安排金额", "28.8万元"), ("到位率", "100%"), ("正常运转", "应保尽保"),
    ]  # fmt: skip
    assert (project.name, project.department) == ("某中心整体支出", "某中心")


def test_the_whole_department_template_with_its_task_table():
    """部门（单位）整体支出绩效目标申报表: the 年度主要任务 table (任务名称 | 主要内容 | 总额 | 财政拨款 |
    其他资金) gives no indicators, its 金额合计 is the total, the form is named after the department."""
    rows = [
        ["部门（单位）整体支出绩效目标申报表"],
        ["（2023年度）"],
        ["部门（单位）名称", "某县农业农村局"],
        ["年度主要任务", "任务名称", "主要内容", "预算金额（万元）"],
        ["", "", "", "总额", "财政拨款", "其他资金"],
        ["", "基本支出", "保障机关运转", "300", "300", "0"],
        ["", "耕地保护", "建设高标准农田", "500", "450", "50"],
        ["金额合计", "", "", "800", "750", "50"],
        ["年度总体目标", "保障机关正常运转，完成高标准农田建设1万亩。"],
        ["年度绩效指标", "一级指标", "二级指标", "三级指标", "指标值"],
        ["", "产出指标", "数量指标", "新建高标准农田面积", "≥1万亩"],
        ["", "满意度指标", "服务对象满意度指标", "农户满意度", "≥90%"],
    ]
    (project,) = INTERPRETER.interpret(_form(rows)).projects
    assert (project.name, project.amounts.total, project.budget_year) == ("某县农业农村局整体支出", 800, 2023)
    assert project.goal == "保障机关正常运转，完成高标准农田建设1万亩。"
    got = [(i.name, i.level2_code) for i in project.indicators]
    assert got == [("新建高标准农田面积", "11"), ("农户满意度", "31")]


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("岳阳楼区价格认证鉴定中心2023年度整体绩效目标表", "岳阳楼区价格认证鉴定中心整体支出"),
        ("某局2022年部门整体支出绩效目标申报表", "某局部门整体支出"),
        ("2019年度宁晋县高中助学金项目绩效评价指标表", "2019年度宁晋县高中助学金"),
    ],
)
def test_a_whole_department_form_is_named_after_the_department(title, name):
    assert title_name([title]) == name


def test_a_whole_department_forms_duty_table_is_no_goal_and_its_place_is_the_city(renderings):
    """宁德: 年度履职目标 (部门职能 | 年度目标任务 | …) is a table of duties, not the goal; the goal's
    lines ending in ; are joined once; 中共宁德市委… places the form in 宁德市."""
    (project,) = read_path(renderings["fj-ningde-dsfz-2019-zt"]["xlsx"]).table.projects
    assert project.goal.startswith("目标1：确保本室各人员工资及福利的发放；目标2：")
    assert project.goal.endswith("确保完成2019年度任务。") and "部门职能" not in project.goal
    assert (project.district, project.city) == ("宁德市", "宁德市")
    assert place_hint(["中共宁德市委党史和地方志研究室"]) == "宁德市"


def test_value_headings_without_a_value_word_and_baseline_columns():
    """预期目标 heads the target column; a 基期值 or 参考值 column before the 年度指标值 is not taken for
    the target."""
    head = [["项目名称", "某项目"]]
    assert _indicators(
        [*head, ["一级指标", "二级指标", "三级指标", "预期目标"], ["产出指标", "数量指标", "人数", "5人"]]
    ) == [("人数", "5人", "产出", "11")]
    rows = [*head, ["一级指标", "二级指标", "三级指标", "基期值", "参考值", "年度指标值"],
            ["产出指标", "数量指标", "人数", "3人", "4人", "5人"]]  # fmt: skip
    assert _indicators(rows) == [("人数", "5人", "产出", "11")]


def test_a_form_naming_a_department_but_no_project_is_the_departments_whole_expenditure():
    rows = [
        ["部门名称", "某县民政局"],
        ["年度绩效目标", "保障民生。"],
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出指标", "数量指标", "救助人数", "500人"],
    ]
    (project,) = INTERPRETER.interpret(_form(rows)).projects
    assert (project.name, project.department, project.goal) == (
        "某县民政局整体支出",
        "某县民政局",
        "保障民生。",
    )


def test_several_target_columns_of_one_rank_keep_each_target():
    """一季度目标值 … 四季度目标值: every quarter's target is kept, named by its column (one text when all
    agree); a list of targets has no single number."""
    rows = [
        ["项目名称", "某项目"],
        ["一级指标", "二级指标", "三级指标", "一季度目标值", "二季度目标值", "三季度目标值", "四季度目标值"],
        ["产出指标", "数量指标", "培训人次", "100人次", "200人次", "300人次", "400人次"],
        ["产出指标", "质量指标", "合格率", "≥90%", "≥90%", "≥90%", "≥90%"],
    ]
    (project,) = INTERPRETER.interpret(_form(rows)).projects
    first, second = project.indicators
    assert first.annual_value == "一季度：100人次；二季度：200人次；三季度：300人次；四季度：400人次"
    assert first.target.qualitative and first.target.number is None
    assert (second.annual_value, second.target.number) == ("≥90%", 90)


def test_a_long_term_and_an_annual_indicator_table_of_one_form_are_one_project():
    """佳县/宁乡 template: 长期绩效指标 and 年度绩效指标 tables one after the other under one header
    block: one project; an indicator of both tables has its 长期 value as the cycle value, one of the
    长期 table only is kept with only a cycle value."""
    head = ["一级指标", "二级指标", "指标内容", "指标值", "备注"]
    rows = [
        ["项目绩效目标表(2021年度)"],
        ["项目名称", "镇域内基础设施建设"],
        ["主管部门", "某镇"],
        ["长期绩效指标", *head],
        ["", "产出指标", "数量指标", "改造道路", "10公里"],
        ["", "效益指标", "可持续影响指标", "长效管护", "建立"],
        ["", "效益指标", "社会效益指标", "群众出行改善", "明显"],
        ["年度绩效指标", *head],
        ["", "产出指标", "数量指标", "改造道路", "3公里"],
        ["", "效益指标", "社会效益指标", "群众出行改善", "逐步改善"],
        ["其他说明的问题", ""],
    ]
    (project,) = INTERPRETER.interpret(_form(rows)).projects
    assert [(i.name, i.cycle_value, i.annual_value, i.level2_code) for i in project.indicators] == [
        ("改造道路", "10公里", "3公里", "11"),
        ("群众出行改善", "明显", "逐步改善", "22"),
        ("长效管护", "建立", None, "24"),
    ]
    assert project.indicators[2].target.text == "建立"  # the cycle value is the target when no annual one


@pytest.mark.parametrize(
    ("level1", "level2", "want"),
    [
        ("预期产出指标", "数量指标(或建筑规模指标)", ("产出", "11")),
        ("预期产出指标", "时效指标(工期指标、形象进度指标)", ("产出", "13")),
        ("预期产出指标", "预算(或投资规模)控制指标", ("产出", "14")),
        ("效果指标", "社会、经济、生态效益 指标", ("效益", None)),
        ("效果指标", "社会效益、生态效益指标", ("效益", None)),
        ("产出指标", "数量、质量指标", ("产出", None)),
        ("其他指标", "创新、示范指标", None),  # no known kind
        ("效果指标", "可持续影响指标", ("效益", "24")),
    ],
)
def test_level_labels_with_glosses_prefixes_and_several_kinds(level1, level2, want):
    """东莞 2019: explanations in brackets are no part of a label, 预期产出指标 is 产出, a level-2
    naming several kinds gives the level-1 they share (the code only when they are one)."""
    level = classify(level1, level2)
    assert (None if level is None else (level.level1, level.code)) == want


def test_target_columns_named_by_place_without_a_value_heading():
    """秀屿: 一级 | 二级 | 三级 | 指标解释 | 指标方向 | 笏石街道办 | 埭头镇 — the place columns are the
    targets (one text when they agree), the sign column joined to each."""
    rows = [
        ["项目名称", "某专项资金"],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "指标解释", "指标方向", "甲镇", "乙镇"],
        ["", "产出指标", "数量指标", "修复工程(个)", "反映开展情况", "≥", "1", "2"],
        ["", "", "质量指标", "是否存在质量问题", "反映质量", "是/否", "否", "否"],
        ["", "效益指标", "社会效益指标", "群众受益率", "反映受益", "≥", "95%", "95%"],
    ]
    assert _indicators(rows) == [
        ("修复工程（个）", "甲镇：≥1；乙镇：≥2", "产出", "11"),
        ("是否存在质量问题", "否", "产出", "12"),
        ("群众受益率", "≥95%", "效益", "22"),
    ]
    no_levels = [["项目名称", "某项目"], ["三级指标", "备注", "甲镇"], ["人数", "无", "5人"]]
    with pytest.raises(ParseError):  # only 一级 + 二级 + 三级 headings make the place columns targets
        _indicators(no_levels)


def test_a_transfer_payments_ladder_of_departments_gives_the_local_one():
    """区域绩效目标表 (忠县): 中央/省级/区县 主管部门 and 财政部门 rows — the department is the most
    local 主管部门; the 财政部门 rows are labels, not values; a lone 中央补助 line is the total."""
    rows = [
        ["某奖励资金区域绩效目标表"],
        ["资金名称", "某奖励资金"],
        ["中央主管部门", "财政部、农业农村部"],
        ["省级财政部门", "某省财政厅"],
        ["省级主管部门", "某省农业农村厅"],
        ["区县财政部门", "某县财政局"],
        ["区县主管部门", "某县农业农村局"],
        ["资金情况", "其中：中央补助（万元）", "397"],
        ["年度目标", "稳定生产。"],
        ["一级指标", "", "二级指标", "三级指标", "单位", "指标值"],
        ["绩效指标", "产出指标", "数量指标", "能繁母猪稳定率", "%", "≥95%"],
    ]
    (project,) = INTERPRETER.interpret(_form(rows)).projects
    assert (project.name, project.department, project.amounts.total) == ("某奖励资金", "某县农业农村局", 397)
    assert [(i.name, i.annual_value) for i in project.indicators] == [("能繁母猪稳定率", "≥95%")]
