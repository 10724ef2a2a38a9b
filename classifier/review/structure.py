"""Completeness rules: required level-1 and level-2 categories, repeated indicators.

Required sets (财预〔2020〕10号 and the 2021 共性指标体系框架):

* level-1: 产出, 效益, 满意度 always (``missing_level1``, error); 成本 in the 2021
  framework (warning: many 2021-era tables still leave it out, the reviewer decides);
* level-2 under 产出: 数量 11, 质量 12, 时效 13; in the 2021 framework 经济成本 41
  under 成本 when the 成本 level-1 is present (``missing_level2``, warning).
  The pre-2021 产出成本 14 is optional (most seed projects go without it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from classifier import taxonomy
from classifier.review.findings import Finding
from indexer.records import Indicator, Project
from indexer.reuse.neardup import dup_key

REQUIRED_LEVEL1: dict[str, tuple[str, ...]] = {
    "pre2021": ("产出", "效益", "满意度"),
    "2021": ("产出", "效益", "满意度", "成本"),
}
REQUIRED_LEVEL2: dict[str, dict[str, tuple[str, ...]]] = {
    "pre2021": {"产出": ("11", "12", "13")},
    "2021": {"产出": ("11", "12", "13"), "成本": ("41",)},
}


def table_framework(projects: Sequence[Project], require_cost: bool | None = None) -> str:
    """``2021`` when 成本 is required: ``require_cost`` if given, else when any project of
    the table files a 成本 level-1 or a code 41–43 (the table follows the 2021 framework)."""
    if require_cost is not None:
        return "2021" if require_cost else "pre2021"
    for project in projects:
        for ind in project.indicators:
            if ind.level1 == "成本" or (ind.level2_code or "").startswith("4"):
                return "2021"
    return "pre2021"


def _neighbour_rows(neighbours: Sequence[Project], has: Any, limit: int) -> list[dict[str, Any]]:
    rows = []
    for p in neighbours:
        example = next((ind for ind in p.indicators if has(ind)), None)
        if example is not None:
            rows.append(
                {
                    "project_id": p.id,
                    "project_name": p.name,
                    "district": p.district,
                    "ordinal": example.ordinal,
                    "indicator": example.name,
                    "code": example.level2_code,
                    "value": example.annual_value or example.cycle_value,
                }
            )
        if len(rows) >= limit:
            break
    return rows


def missing_levels(
    project: Project,
    framework: str,
    codes: Mapping[int, str],
    neighbours: Sequence[Project],
    limit: int,
) -> list[Finding]:
    """``missing_level1`` and ``missing_level2`` findings. ``codes`` maps ordinal → level-2
    code (filed, or the classifier's where the table gives only level-1)."""
    findings: list[Finding] = []
    present1 = {ind.level1 for ind in project.indicators}
    for level1 in REQUIRED_LEVEL1[framework]:
        if level1 in present1:
            continue
        share = sum(any(i.level1 == level1 for i in p.indicators) for p in neighbours)
        findings.append(
            Finding(
                "missing_level1",
                "warning" if level1 == "成本" else "error",
                f"缺少一级指标“{level1}指标”（{_framework_text(framework)}要求设置）。",
                evidence={
                    "rule": f"required level-1 categories ({framework} framework): "
                    + ", ".join(REQUIRED_LEVEL1[framework]),
                    "present": sorted(present1),
                    "similar_projects_with_it": f"{share}/{len(neighbours)}",
                    "peers": _neighbour_rows(neighbours, lambda i, lv=level1: i.level1 == lv, limit),
                },
            )
        )
    present2 = set(codes.values())
    for level1, required in REQUIRED_LEVEL2[framework].items():
        if level1 not in present1:
            continue  # already reported as a missing level-1
        for code in required:
            if code in present2:
                continue
            label = taxonomy.label(code)
            findings.append(
                Finding(
                    "missing_level2",
                    "warning",
                    f"“{level1}指标”下缺少二级指标“{label}”（{code}）。",
                    evidence={
                        "rule": f"expected level-2 codes under {level1}: {', '.join(required)}",
                        "present": sorted(present2),
                        "peers": _neighbour_rows(neighbours, lambda i, c=code: i.level2_code == c, limit),
                    },
                )
            )
    return findings


def _framework_text(framework: str) -> str:
    return "2021年共性指标框架" if framework == "2021" else "绩效目标表"


def duplicate_indicators(indicators: Sequence[Indicator]) -> list[Finding]:
    """An indicator whose name (punctuation and spaces aside) repeats an earlier one."""
    first: dict[str, Indicator] = {}
    findings: list[Finding] = []
    for ind in indicators:
        key = dup_key(ind.name)
        if not key:
            continue
        earlier = first.setdefault(key, ind)
        if earlier is ind:
            continue
        same_value = (earlier.annual_value, earlier.cycle_value) == (ind.annual_value, ind.cycle_value)
        findings.append(
            Finding(
                "duplicate_indicator",
                "warning",
                f"指标“{ind.name_raw}”与第{earlier.ordinal}项重复"
                + ("（指标值也相同）。" if same_value else "（指标值不同，请确认以哪个为准）。"),
                ordinal=ind.ordinal,
                evidence={
                    "rule": "same indicator name (ignoring punctuation and spaces) within the project",
                    "duplicate_of": earlier.ordinal,
                    "values": [earlier.annual_value, ind.annual_value],
                },
            )
        )
    return findings
