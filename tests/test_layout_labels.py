"""Level labels as printed → level-1 and code; funds cells → 万元; place hints (unit tier)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from indexer.layouts.form_common import clean_org, place_hint
from indexer.layouts.header_block import parse_money
from indexer.layouts.labels import Level, classify


@pytest.mark.parametrize(
    ("level1", "level2", "expected"),
    [
        ("产出指标", "数量指标", Level("产出", "11")),
        ("产\n出\n指\n标", "质量指标", Level("产出", "12")),
        ("产出 指标", "时效指标", Level("产出", "13")),
        ("产出指标(50分)", "成本指标", Level("产出", "14")),
        ("产出值", "成本值", Level("产出", "14")),
        ("项目完成\n指标", "数量指标 (必填硬性指标)", Level("产出", "11")),
        ("产出指标", "产出数量", Level("产出", "11")),
        ("效益指标", "经济效益\n指标", Level("效益", "21")),
        ("项目效益指标", "社会效益 指标 (必填)", Level("效益", "22")),
        ("效益指标", "环境效益指标", Level("效益", "23")),
        ("效益指标", "生态效益指标", Level("效益", "23")),
        ("效益指标", "可持续性发展影响指标", Level("效益", "24")),
        ("效益指标", "社会公众或服务对象满意度指标", Level("满意度", "31")),
        ("效益指标", "满意度", Level("满意度", "31")),
        ("满意度指标", "服务对象\n满意度\n指标", Level("满意度", "31")),
        ("满意度指标", "服务对象满意度指标等", Level("满意度", "31")),
        ("成本指标(0-20)分", "经济成本指标", Level("成本", "41")),
        ("成本指标", "社会成本指标", Level("成本", "42")),
        ("成本指标", "生态环境成本指标", Level("成本", "43")),
        ("成本指标", "成本指标", Level("成本", None)),
        ("实施效果指标", "产出指标", Level("产出", None)),
        ("实施效果指标", "效益指标", Level("效益", None)),
        ("实施效果指标", "满意度指标", Level("满意度", None)),
        ("效益指标", "", Level("效益", None)),
        ("项目年度绩效目标(定量指标)", "制度指标", None),
        ("", "", None),
    ],
)
def test_labels_map_to_level1_and_code(level1, level2, expected):
    assert classify(level1, level2) == expected


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("2279.048 万元", "万元", (Decimal("2279.048"), "万元")),
        ("449.8万", "元", (Decimal("449.8"), "万元")),
        ("1,030,700.00", "元", (Decimal("103.07"), "元")),
        ("2790480元", "万元", (Decimal("279.048"), "元")),
        ("854万(高标准农田建设400万元)", "万元", (Decimal(854), "万元")),
        ("0.00", "万元", (Decimal(0), "万元")),
        ("金额(万元)", "万元", None),
        ("—", "万元", None),
    ],
)
def test_money_cells_in_wanyuan(text, default, expected):
    got = parse_money(text, default)
    assert (got if got is None else (got[0].normalize(), got[1])) == (
        expected if expected is None else (expected[0].normalize(), expected[1])
    )


def test_place_hint_takes_the_most_specific_printed_place():
    assert place_hint(["[042]六安市金安区体育局"]) == "金安区"
    assert place_hint(["县财政局", "安徽金寨经济开发区管理委员会"]) == ""  # 开发区 is no division
    assert place_hint(["湘潭市城市管理和综合执法局"]) == "湘潭市"
    assert place_hint(["武汉市青山区教育局", "化工区学校"]) == "青山区"
    assert place_hint(["疫情期间区域病媒防治"]) == ""
    assert place_hint(["2019年度宁晋县高中助学金"]) == "宁晋县"
    assert place_hint(["内蒙古自治区兴安盟扎赉特旗人民检察院"]) == "扎赉特旗"
    assert place_hint([None, ""]) == ""


def test_department_codes_are_dropped():
    assert clean_org("[077]淮北市文化旅游体育局") == "淮北市文化旅游体育局"
    assert clean_org("776001-扎赉特旗人民检察院") == "扎赉特旗人民检察院"
    assert clean_org("湘潭市城市管理和综合执法局 308001") == "湘潭市城市管理和综合执法局"
    assert clean_org("汉阴县水利局（301）") == "汉阴县水利局"
