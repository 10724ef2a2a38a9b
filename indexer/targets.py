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
from indexer.text import normalize

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
_UNIT = re.compile(r"(?:[%‰℃]|[A-Za-z]+|[\u4e00-\u9fff]+)(?:/[A-Za-z\u4e00-\u9fff]{1,3})?")
_MAX_UNIT_CJK = 4


def _prefix_comparator(before: str) -> str | None:
    before = before.rstrip()
    for word, comparator in _PREFIX_WORDS:
        if before.endswith(word):
            return comparator
    return None


def _split_unit(after: str) -> tuple[str | None, str | None]:
    """Unit right after the number, and a comparator from a suffix word."""
    m = _UNIT.match(after)
    unit = m.group() if m else ""
    rest = after[len(unit) :]
    comparator = None
    for word, comp in _SUFFIX_WORDS:
        at = unit.find(word)
        if at >= 0:
            unit, comparator = unit[:at], comp
            break
    else:
        for word, comp in _SUFFIX_WORDS:
            if rest.startswith(word):
                comparator = comp
                break
    if comparator is None and re.match(r"[\u4e00-\u9fff]*内(?:完成|$)", unit):
        unit, comparator = unit[: unit.index("内")], "<="
    if "/" not in unit and len(unit) > _MAX_UNIT_CJK and not unit.isascii():
        unit = unit[:_MAX_UNIT_CJK]
    return (unit or None), comparator


def parse_target(value: str | None) -> Target | None:
    """Parse one 指标值; None when there is no value at all."""
    if value is None:
        return None
    text = normalize(value).strip().rstrip("。；，").strip()
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
