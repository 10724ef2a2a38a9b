"""Parse an indicator value (指标值) into a :class:`~indexer.records.Target`.

Values are free text: ``≥61个``, ``不少于15家``, ``86分以上``, ``大于300亿元人民币``,
``三年服务周期≥21亿票``, ``启动理赔流程后7个工作日内完成赔款``, ``比较满意``, ``无``.
The first Arabic number (not part of a date such as ``2022年底`` and not glued
to a code such as ``IP65``) is the target; the comparator is read from the
symbol or word right before it (``≥ 不少于 大于 达到…``) or, failing that,
from the word right after its unit (``以上 以下 以内``); a bare number means
``=``. A value without such a number is qualitative.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from indexer.records import Target
from indexer.text import canonical

# Longest first: "大于等于" must win over "大于", "不少于" over "少于".
_PREFIX_WORDS: tuple[tuple[str, str], ...] = (
    ("大于等于", ">="),
    ("大于或等于", ">="),
    ("小于等于", "<="),
    ("小于或等于", "<="),
    ("不小于", ">="),
    ("不少于", ">="),
    ("不低于", ">="),
    ("不大于", "<="),
    ("不多于", "<="),
    ("不高于", "<="),
    ("不超过", "<="),
    ("不超", "<="),
    ("至少", ">="),
    ("最少", ">="),
    ("至多", "<="),
    ("最多", "<="),
    ("达到", ">="),
    ("超过", ">"),
    ("大于", ">"),
    ("高于", ">"),
    ("多于", ">"),
    ("小于", "<"),
    ("低于", "<"),
    ("少于", "<"),
    ("不足", "<"),
    ("超", ">"),
    ("≥", ">="),
    ("≤", "<="),
    (">", ">"),
    ("<", "<"),
    ("=", "="),
)
_SUFFIX_WORDS: tuple[tuple[str, str], ...] = (
    ("及以上", ">="),
    ("或以上", ">="),
    ("以上", ">="),
    ("及以下", "<="),
    ("或以下", "<="),
    ("以下", "<="),
    ("以内", "<="),
)
_NUMBER = re.compile(r"(?<![A-Za-z\d.])(\d+(?:,\d{3})*(?:\.\d+)?)")
_DATE = re.compile(
    r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"  # 2022-12-31, 2021年8月30日
    r"|\d{4}年\s*\d{1,2}月(?:底|末|初|中旬|上旬|下旬)?"  # 2024年3月底
    r"|\d{4}年(?:底|末|初|度|内|前)"  # 2022年底, 2022年度
    r"|\d{1,2}月\d{1,2}日"
)
_PAREN = re.compile(r"（[^（）]*）")
_RUN = re.compile(r"[%‰℃]|[A-Za-z]+|[\u4e00-\u9fff]+")
_PER = re.compile(r"/[A-Za-z\u4e00-\u9fff]{1,3}")
_MULTIPLIERS = "十百千万亿"
# Measure words seen in budget tables; a unit is the longest of these (with an
# optional 万/亿… multiplier) at the start of the text after the number, so
# "30次非法集资宣传活动" gives "次" and "300亿元人民币" gives "亿元人民币".
_MEASURE_GROUPS = (
    "个 家 次 场 人 条 份 篇 项 台 艘 班 列 件 套 处 册 类 期 倍 分 票 户 辆 元 吨 天 年 月 日 周",
    "批 单 名 位 组 块 座 间 所 部 本 张 棵 株 亩 米 箱 度 秒 时 点 宗 起 例 轮 届 季 级 课 堂 节",
    "支 只 双 床 页 盏 根 段 颗 笔 单位 场次 人次 家次 户次 车次 艘次 架次 班次 批次 项次 课时",
    "学时 小时 分钟 毫秒 工作日 个工作日 个月 平方米 平米 公顷 公里 千米 标准箱 吨公里 美元",
    "元人民币 港元 欧元 千瓦 千瓦时 兆瓦 立方米 个百分点 百分点",
)
_MEASURES = frozenset(word for group in _MEASURE_GROUPS for word in group.split())
_MAX_MEASURE = max(len(m) for m in _MEASURES)
_SUFFIX_REACH = 3  # CJK characters allowed between the unit and 以上/以下


def _measure(run: str) -> str:
    """The unit at the start of a CJK run (see ``_MEASURES``), else its first character."""
    for size in range(min(len(run), _MAX_MEASURE + 1), 0, -1):
        head = run[:size]
        if head in _MEASURES or (head[0] in _MULTIPLIERS and (head[1:] in _MEASURES or len(head) == 1)):
            return head
    return run[:1]


def _prefix_comparator(before: str) -> str | None:
    before = before.rstrip()
    for word, comparator in _PREFIX_WORDS:
        if before.endswith(word):
            return comparator
    return None


def _split_unit(after: str) -> tuple[str | None, str | None]:
    """Unit right after the number, and a comparator from a suffix word
    (``以上 以下 以内``, or ``内`` closing a duration: ``7个工作日内完成``)."""
    m = _RUN.match(after)
    run = m.group() if m else ""
    unit = _measure(run) if run and "\u4e00" <= run[0] <= "\u9fff" else run
    rest = after[len(unit) :]
    per = _PER.match(rest)
    if per:
        unit += per.group()
        rest = rest[per.end() :]
    comparator = None
    # The suffix may follow a noun after the unit: "8个展位及以上", "20家企业以上".
    follow = m.group() if (m := re.match(r"[\u4e00-\u9fff]{0,8}", rest)) else ""
    for word, comp in _SUFFIX_WORDS:
        at = follow.find(word)
        if 0 <= at <= _SUFFIX_REACH:
            comparator = comp
            break
    if comparator is None and re.match(r"内(?:完成|$)", rest):
        comparator = "<="
    return (unit or None), comparator


def parse_target(value: str | None) -> Target | None:
    """Parse one 指标值; None when there is no value at all."""
    if value is None:
        return None
    text = canonical(value).strip().rstrip("。；，").strip()
    if not text:
        return None
    scan = _PAREN.sub(lambda m: " " * len(m.group()), text)
    scan = _DATE.sub(lambda m: "#" * len(m.group()), scan)
    m = _NUMBER.search(scan)
    if m is None:
        return Target(text=text, comparator=None, number=None, unit=None, qualitative=True)
    try:
        number = Decimal(m.group(1).replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the regex only admits valid numbers
        return Target(text=text, comparator=None, number=None, unit=None, qualitative=True)
    comparator = _prefix_comparator(scan[: m.start()])
    unit, suffix_comparator = _split_unit(scan[m.end() :])
    return Target(
        text=text,
        comparator=comparator or suffix_comparator or "=",
        number=number,
        unit=unit,
        qualitative=False,
    )


def row_target(annual: str | None, cycle: str | None) -> Target | None:
    """The target of an indicator row: its annual value; a 无 (or nothing) there defers to the
    cycle value, and a row that prints 无 in both keeps 无 (a qualitative target)."""
    if annual and annual != "无":
        return parse_target(annual)
    if cycle and cycle != "无":
        return parse_target(cycle)
    return parse_target(annual or cycle)
