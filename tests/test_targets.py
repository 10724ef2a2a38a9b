"""Indicator values → Target (comparator, Decimal number, unit) or qualitative."""

from __future__ import annotations

from decimal import Decimal

import pytest

from indexer.targets import parse_target, row_target


@pytest.mark.parametrize(
    ("value", "comparator", "number", "unit"),
    [
        ("≥61个", ">=", "61", "个"),
        ("≧2%", ">=", "2", "%"),
        ("≦0", "<=", "0", None),
        (">30天", ">", "30", "天"),
        ("＞95%", ">", "95", "%"),
        ("<0.2", "<", "0.2", None),
        (">=90分", ">=", "90", "分"),
        ("<=5个", "<=", "5", "个"),
        ("100%", "=", "100", "%"),
        ("0次", "=", "0", "次"),
        ("≤30分钟/人", "<=", "30", "分钟/人"),
        ("≥36场/年", ">=", "36", "场/年"),
        ("≥1500万人次/年", ">=", "1500", "万人次/年"),
        ("不少于15家", ">=", "15", "家"),
        ("不低于6000家", ">=", "6000", "家"),
        ("不小于3倍", ">=", "3", "倍"),
        ("大于等于10万吨", ">=", "10", "万吨"),
        ("小于等于30分钟", "<=", "30", "分钟"),
        ("大于300亿元人民币", ">", "300", "亿元人民币"),
        ("小于1秒", "<", "1", "秒"),
        ("不超过5次", "<=", "5", "次"),
        ("超850亿元", ">", "850", "亿元"),
        ("86分以上", ">=", "86", "分"),
        ("1500人次以上/年", ">=", "1500", "人次"),
        ("新增10万标准箱及以上", ">=", "10", "万标准箱"),
        ("8个展位及以上", ">=", "8", "个"),
        ("20家企业以上", ">=", "20", "家"),
        ("5次以下", "<=", "5", "次"),
        ("子项目服务质量情况达到100%", ">=", "100", "%"),
        ("三年服务周期≥21亿票", ">=", "21", "亿票"),
        ("年均大于2000家", ">", "2000", "家"),
        ("每月出现用户投诉次数小于3次", "<", "3", "次"),
        ("启动理赔流程后7个工作日内完成赔款", "<=", "7", "个工作日"),
        ("100%（实际拨付数/预算批复数*100%）", "=", "100", "%"),
        ("完成30次非法集资宣传活动", "=", "30", "次"),
        ("1,500.00万元", "=", "1500.00", "万元"),
        ("≤1.6s", "<=", "1.6", "s"),
        ("3.4亿美元", "=", "3.4", "亿美元"),
    ],
)
def test_numeric_targets(value: str, comparator: str, number: str, unit: str | None) -> None:
    t = parse_target(value)
    assert t is not None
    assert not t.qualitative
    assert (t.comparator, t.number, t.unit) == (comparator, Decimal(number), unit)
    assert isinstance(t.number, Decimal)


@pytest.mark.parametrize(
    "value",
    [
        "及时",
        "比较满意",
        "无",
        "长期",
        "短期",
        "无负面投诉",
        "每月一次",
        "合法合规",
        "2022年底",
        "2022-12-31",
        "2024年3月底前",
        "2021年8月30日前完成",
        "2022年度内完成",
        "设备防水等级不低于IP65",
        "批发业商品销售总额较上一年实现正增长",
    ],
)
def test_qualitative_targets(value: str) -> None:
    t = parse_target(value)
    assert t is not None
    assert t.qualitative
    assert (t.comparator, t.number, t.unit) == (None, None, None)
    assert t.text == value


def test_missing_value_is_no_target() -> None:
    assert parse_target(None) is None
    assert parse_target("  。") is None


def test_text_is_normalised_and_trimmed() -> None:
    t = parse_target(" >= 90% 。")
    assert t is not None
    assert t.text == "≥90%"
    assert t.comparator == ">="


@pytest.mark.parametrize(
    ("annual", "cycle", "text"),
    [
        ("≥5家", "≥20家", "≥5家"),  # the annual value is the target
        ("无", "≥20家", "≥20家"),  # a 无 there defers to the cycle value
        (None, "≥20家", "≥20家"),
        ("", "≥20家", "≥20家"),
        ("无", "无", "无"),  # 无 in both: a qualitative 无
        ("无", None, "无"),
        (None, "无", "无"),
        ("≥5家", None, "≥5家"),
    ],
)
def test_row_target_takes_the_annual_value_else_the_cycle_value(annual, cycle, text):
    target = row_target(annual, cycle)
    assert target is not None and target.text == text


def test_row_target_of_an_empty_row_is_none():
    assert row_target(None, None) is None
    assert row_target("", "") is None
