"""Indicator level labels as forms print them → level-1 name and level-2 code.

Forms print the same categories in many spellings: ``数量指标``, ``数量``, ``产出数量``,
``数量值``, ``数量指标 (必填硬性指标)``, ``产\\n出\\n指\\n标``, ``产出指标(50分)``,
``项目完成指标``, ``社会公众或服务对象满意度指标``, ``环境效益指标``, the old framework's
``数量目标`` / ``成本目标`` … :func:`compact` folds a label (width, line breaks and spaces,
score and 必填 tags, a trailing 指标/目标/值/等) and :func:`level1_label` /
:func:`level2_label` read it.

The code follows the level-2 label, and the level-1 follows the code
(``LEVEL1_NAMES[first digit - 1]``): satisfaction filed under 效益指标 is 满意度
/ 31; ``成本指标`` as a level-2 is 14 under 产出 but, under a 成本 level-1 of the
2021 framework, only its level-1 is known. Shifted levels (一级 = 实施效果指标,
二级 = 产出指标/效益指标) give the level-1 and no code. The old framework's level-1
labels 投入 and 效果 (投入 | 成本目标, 效果 | 社会效益目标, 福建 2017) name no taxonomy level-1:
the level-2 label gives the code (成本 under 投入 is the pre-2021 14), and without one the
category is unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.records import LEVEL1_NAMES
from indexer.text import canonical

__all__ = [
    "Level",
    "classify",
    "compact",
    "is_old_level1",
    "is_shifted_level1",
    "level1_label",
    "level2_label",
    "level2_span",
]

# Tags printed inside label cells that say nothing about the category.
_TAGS = re.compile(
    r"（[^（）]*(?:分|必填|选填|硬性|可选)[^（）]*）|\(\d+(?:-\d+)?\)分|（\d+(?:-\d+)?）分|\*|★"
)
# Explanations printed in brackets inside a label (数量指标（或建筑规模指标）, 时效指标（工期指标、形象进度
# 指标）, 预算（或投资规模）控制指标, 东莞): not part of the category's name.
_GLOSS = re.compile(r"（[^（）]*）")
_SPACE = re.compile(r"\s+")
_SEVERAL = re.compile(r"[、，,/和及与]")
_TRAILER = re.compile(r"(?:指标|目标)?(?:等|值)?$")

# Compacted level-2 text (without 指标/值) → code; checked as exact names first, then as endings.
_LEVEL2_NAMES: dict[str, str] = {
    "数量": "11",
    "产出数量": "11",
    "质量": "12",
    "产出质量": "12",
    "时效": "13",
    "产出时效": "13",
    "进度": "13",
    "产出成本": "14",
    "经济效益": "21",
    "社会效益": "22",
    "生态效益": "23",
    "环境效益": "23",
    "生态环境效益": "23",
    "可持续影响": "24",
    "可持续性影响": "24",
    "可持续发展影响": "24",
    "可持续性发展影响": "24",
    "预算控制": "14",  # 东莞: 预算（或投资规模）控制指标, the cost level-2 of its 2019 template
    "成本控制": "14",
    "经济成本": "41",
    "社会成本": "42",
    "生态环境成本": "43",
    "生态成本": "43",
    "环境成本": "43",
}
_SATISFACTION = re.compile(r"满意度$|满意$")

_LEVEL1_NAMES: dict[str, str] = {
    "产出": "产出",
    "项目完成": "产出",
    "项目产出": "产出",
    "效益": "效益",
    "项目效益": "效益",
    "满意度": "满意度",
    "服务对象满意度": "满意度",
    "成本": "成本",
}
_SHIFTED_LEVEL1 = frozenset({"实施效果", "项目实施效果"})
# The old framework's level-1 labels (投入/产出/效果): labels, but of no taxonomy level-1.
_OLD_LEVEL1 = frozenset({"投入", "项目投入", "效果", "项目效果", "效果目标", "投入目标"})


def compact(label: str | None) -> str:
    """The label folded for lookup: canonical width, no whitespace or line breaks, no score or
    必填 tags, no trailing 指标/值/等 (``"经济效益\\n指标 (选填)"`` → ``"经济效益"``)."""
    if not label:
        return ""
    text = _SPACE.sub("", canonical(label))
    text = _GLOSS.sub("", _TAGS.sub("", text)).strip("：:") or _TAGS.sub("", text).strip("：:")
    return _TRAILER.sub("", text) if len(text) > 2 else text


def level2_label(label: str | None) -> str | None:
    """The code of a level-2 label, or None when it names no known category.

    ``成本`` alone is 14 (under 产出); :func:`classify` withdraws it under a 成本
    level-1. Satisfaction spellings (``社会公众或服务对象满意度``, ``满意度``) are 31.
    """
    key = compact(label)
    if not key:
        return None
    if key in _LEVEL2_NAMES:
        return _LEVEL2_NAMES[key]
    if key == "成本":
        return "14"
    if _SATISFACTION.search(key):
        return "31"
    if _SEVERAL.search(key) and (span := level2_span(key)) is not None:
        return span.code  # 数量、质量指标: not the last kind named
    for name in sorted(_LEVEL2_NAMES, key=len, reverse=True):
        if len(name) >= 2 and key.endswith(name) and len(key) <= len(name) + 4:
            return _LEVEL2_NAMES[name]
    return None


def level1_label(label: str | None) -> str | None:
    """The level-1 name (one of ``LEVEL1_NAMES``) of a level-1 label, or None (``预期产出指标`` is
    产出: 东莞 prints the level-1 labels with 预期)."""
    key = compact(label)
    return _LEVEL1_NAMES.get(key) or _LEVEL1_NAMES.get(key.removeprefix("预期"))


def level2_span(label: str | None) -> Level | None:
    """The category of a level-2 label naming several kinds at once (``社会、经济、生态效益指标``):
    the level-1 they share, the code only when they are one; None for any other label."""
    key = compact(label)
    parts = [p for p in _SEVERAL.split(key) if p]
    if len(parts) < 2:
        return None
    tail = re.search(r"(效益|成本|影响|满意度)$", parts[-1])
    codes = {level2_label(p) or (level2_label(p + tail.group(1)) if tail else None) for p in parts}
    if None in codes or len({c[0] for c in codes if c}) != 1:
        return None
    (first,) = {c[0] for c in codes if c}
    return Level(LEVEL1_NAMES[int(first) - 1], codes.pop() if len(codes) == 1 else None)


def is_old_level1(label: str | None) -> bool:
    """True for the old framework's level-1 labels without a taxonomy level-1 (投入, 效果)."""
    return compact(label) in _OLD_LEVEL1


def is_shifted_level1(label: str | None) -> bool:
    """True for a level-1 label above the usual ones (``实施效果指标``): its level-2 column then
    holds 产出指标/效益指标 and the level-3 the indicators."""
    return compact(label) in _SHIFTED_LEVEL1


@dataclass(frozen=True, slots=True)
class Level:
    """An indicator's category: level-1 name and level-2 code (None where only level-1 is known;
    both None for a table that prints no category at all)."""

    level1: str | None
    code: str | None


def classify(level1_text: str | None, level2_text: str | None) -> Level | None:
    """The category of an indicator row from its printed level-1 and level-2 labels; None when
    neither tells it. The level-2 label wins over the level-1 one (its code fixes the level-1)."""
    level1 = level1_label(level1_text)
    if is_shifted_level1(level1_text):  # 实施效果指标 | 产出指标 | indicator: only the level-1 is printed
        shifted = level1_label(level2_text)
        return Level(shifted, None) if shifted is not None else None
    if level1 is None:
        # A level-1 cell holding a level-2 label (forms without a level-1 column).
        code = level2_label(level1_text)
        if code is not None and not compact(level2_text):
            return Level(LEVEL1_NAMES[int(code[0]) - 1], code)
    code = level2_label(level2_text)
    if code == "14" and level1 == "成本":
        return Level("成本", None)  # "成本指标" under the 2021 成本 level-1: which cost is not said
    if code is not None:
        return Level(LEVEL1_NAMES[int(code[0]) - 1], code)
    span = level2_span(level2_text)  # 效果指标 | 社会、经济、生态效益指标: 效益, which one not said
    if span is not None:
        return span
    level1 = level1 or level1_label(level2_text)  # no level-1 column: 产出指标 in the level-2 one
    return Level(level1, None) if level1 is not None else None
