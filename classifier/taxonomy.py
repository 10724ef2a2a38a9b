"""The standard performance-indicator taxonomy (绩效指标体系): level-1 and level-2 codes.

Two frameworks are in use in Chinese budget performance target tables:

* ``"pre2021"`` — 财预〔2020〕10号 era tables: 成本指标 is a level-2 category (code 14)
  under 产出指标; level-1 categories are 产出 (1), 效益 (2), 满意度 (3).
* ``"2021"`` — the 2021 共性指标体系框架: 成本指标 becomes a level-1 category (4) with
  level-2 codes 41 经济成本, 42 社会成本, 43 生态环境成本; 14 is no longer used.

Everything else (11–13, 21–24, 31) is shared by both frameworks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.errors import InvalidInputError
from indexer.records import LEVEL1_NAMES

FRAMEWORKS: tuple[str, ...] = ("pre2021", "2021")


@dataclass(frozen=True, slots=True)
class Category:
    """One level-2 indicator category."""

    code: str  # "11".."43"
    label: str  # e.g. "数量指标"
    level1: str  # one of LEVEL1_NAMES
    frameworks: tuple[str, ...]  # frameworks in which the code exists


LEVEL1_CODES: dict[str, str] = {"产出": "1", "效益": "2", "满意度": "3", "成本": "4"}
"""Level-1 name → its one-digit code."""

CATEGORIES: tuple[Category, ...] = (
    Category("11", "数量指标", "产出", FRAMEWORKS),
    Category("12", "质量指标", "产出", FRAMEWORKS),
    Category("13", "时效指标", "产出", FRAMEWORKS),
    Category("14", "成本指标", "产出", ("pre2021",)),
    Category("21", "经济效益指标", "效益", FRAMEWORKS),
    Category("22", "社会效益指标", "效益", FRAMEWORKS),
    Category("23", "生态效益指标", "效益", FRAMEWORKS),
    Category("24", "可持续影响指标", "效益", FRAMEWORKS),
    Category("31", "服务对象满意度指标", "满意度", FRAMEWORKS),
    Category("41", "经济成本指标", "成本", ("2021",)),
    Category("42", "社会成本指标", "成本", ("2021",)),
    Category("43", "生态环境成本指标", "成本", ("2021",)),
)

EQUIVALENT_ACROSS_FRAMEWORKS: frozenset[frozenset[str]] = frozenset({frozenset({"14", "41"})})
"""Code pairs naming the same concept in the two frameworks (产出成本 before 2021 ≈ 经济成本 after)."""

BY_CODE: dict[str, Category] = {c.code: c for c in CATEGORIES}
CODES: tuple[str, ...] = tuple(c.code for c in CATEGORIES)


def category(code: str) -> Category:
    """The category of a level-2 code, or ``InvalidInputError`` naming the code."""
    try:
        return BY_CODE[str(code).strip()]
    except KeyError:
        raise InvalidInputError(f"unknown indicator code {code!r}; known codes: {', '.join(CODES)}") from None


def label(code: str) -> str:
    """Display label of a level-2 code (``"13"`` → ``"时效指标"``)."""
    return category(code).label


def level1_of(code: str) -> str:
    """Level-1 name of a level-2 code (``"41"`` → ``"成本"``)."""
    return category(code).level1


_LEVEL1_RE = re.compile(r"^\s*(?:([1-4])\s*[-－—.、]?\s*)?(产出|效益|满意度|成本)?(?:指标)?\s*$")


def normalize_level1(value: str | None) -> str | None:
    """Canonical level-1 name from the ways tables and users write it.

    Accepts ``"产出"``, ``"产出指标"``, ``"1-产出指标"``, ``"1"``, ``"4-成本指标"``, and the
    level-1 cell as a form prints it (``"效益指标(30分)"``, ``"成本指标（必填）"``, ``"项目效益指标"``,
    read like the ingest reads it); returns one of ``LEVEL1_NAMES``, ``None`` for ``None``/blank
    input, and raises ``InvalidInputError`` for anything else (or a digit contradicting the name).
    """
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    match = _LEVEL1_RE.match(text)
    if not match or not (match.group(1) or match.group(2)):
        # Imported here: the form-label reader loads the layouts package, which the plain
        # spellings above (and so the CLI's start) do not need.
        from indexer.layouts.labels import level1_label

        printed = level1_label(text)
        if printed is not None:
            return printed
        raise InvalidInputError(
            f"unknown level-1 category {value!r}; expected one of {', '.join(LEVEL1_NAMES)} "
            "(optionally written as e.g. '1-产出指标')"
        )
    digit, name = match.group(1), match.group(2)
    by_digit = {v: k for k, v in LEVEL1_CODES.items()}
    if name and digit and by_digit[digit] != name:
        raise InvalidInputError(f"level-1 {value!r}: code {digit} is {by_digit[digit]}, not {name}")
    return name or by_digit[digit]


def codes_for_level1(level1: str, framework: str | None = None) -> tuple[str, ...]:
    """Level-2 codes a level-1 category allows.

    With ``framework=None`` the union over both frameworks (产出 → 11–14,
    成本 → 41–43), since a table's framework is often not stated.
    """
    name = normalize_level1(level1)
    if name is None:
        raise InvalidInputError("level-1 category is empty")
    if framework is not None and framework not in FRAMEWORKS:
        raise InvalidInputError(f"unknown framework {framework!r}; expected one of {', '.join(FRAMEWORKS)}")
    return tuple(
        c.code for c in CATEGORIES if c.level1 == name and (framework is None or framework in c.frameworks)
    )


def codes_for_framework(framework: str) -> tuple[str, ...]:
    """Every level-2 code of one framework."""
    if framework not in FRAMEWORKS:
        raise InvalidInputError(f"unknown framework {framework!r}; expected one of {', '.join(FRAMEWORKS)}")
    return tuple(c.code for c in CATEGORIES if framework in c.frameworks)


def same_concept(a: str, b: str) -> bool:
    """True when two codes are equal or the same concept in the two frameworks (14 and 41)."""
    return a == b or frozenset({a, b}) in EQUIVALENT_ACROSS_FRAMEWORKS
