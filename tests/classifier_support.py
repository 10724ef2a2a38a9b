"""Synthetic classifier corpora of the fake-encoder tests: a few tables whose projects carry one
indicator per template (name pattern and value) for each of six level-2 codes."""

from __future__ import annotations

from classifier import taxonomy
from indexer.corpus import Corpus
from indexer.records import Amounts, Indicator, Project

TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "11": [("举办{}活动次数", "≥3次"), ("支持{}企业数量", "≥10家"), ("{}培训人数", "≥200人")],
    "12": [("{}验收合格率", "100%"), ("{}资金发放准确率", "100%"), ("{}质量达标率", "≥95%")],
    "13": [("{}资金拨付及时率", "100%"), ("{}按时完成率", "100%"), ("{}完成时间", "年底前")],
    "21": [("带动{}产值", "≥5000万元"), ("{}销售额增长率", "≥5%"), ("{}交易额", "≥1亿元")],
    "22": [("{}政策知晓率", "≥90%"), ("{}带动就业人数", "≥100人"), ("{}社会影响力", "提升")],
    "31": [("{}服务对象满意度", "≥90%"), ("{}企业满意度", "满意"), ("{}群众满意度", "≥85%")],
}
TOPICS = [
    ["商贸", "会展", "外贸", "电商"],
    ["物流", "餐饮", "零售", "旅游"],
    ["农业", "教育", "医疗", "交通"],
]


def synthetic_table(index: int, topics: list[str], level1_only: bool = False) -> list[Project]:
    """Table ``index``: one project per topic, every template's indicator (codes left out when
    ``level1_only``)."""
    file_name = f"{index:03d}_synthetic.txt"
    projects = []
    for p_no, topic in enumerate(topics):
        pid = f"t{index}p{p_no}"
        indicators = []
        for code, templates in TEMPLATES.items():
            for name_t, value in templates:
                name = name_t.format(topic)
                indicators.append(
                    Indicator(
                        project_id=pid,
                        ordinal=len(indicators) + 1,
                        level1=taxonomy.level1_of(code),
                        level2_code=None if level1_only else code,
                        name=name,
                        name_raw=name,
                        cycle_value=value,
                        annual_value=value,
                        target=None,
                    )
                )
        projects.append(
            Project(
                id=pid,
                source_file=file_name,
                source_line=p_no + 1,
                district=f"区{index}",
                department="部门",
                budget_unit=None,
                name=f"{topic}项目",
                name_raw=f"{topic}项目",
                amounts=Amounts(),
                goal="目标",
                goal_raw="目标",
                indicators=tuple(indicators),
            )
        )
    return projects


def synthetic_corpus() -> Corpus:
    """Three coded tables of four topics each, and one level-1-only table."""
    projects = synthetic_table(0, TOPICS[0]) + synthetic_table(1, TOPICS[1]) + synthetic_table(2, TOPICS[2])
    projects += synthetic_table(3, ["园区"], level1_only=True)
    return Corpus(tuple(projects))
