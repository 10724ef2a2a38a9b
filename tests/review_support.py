"""Synthetic drafts for the review tests: one clean project, and one defect at a time."""

from __future__ import annotations

import copy
from typing import Any

CLEAN: dict[str, Any] = {
    "name": "跨境电商公共服务平台建设专项",
    "goal": "支持跨境电商企业发展，扶持资金及时准确发放，提升扶持企业满意度。",
    "district": "越秀区",
    "department": "测试商务局",
    "indicators": [
        {"level1": "产出", "code": "11", "name": "扶持跨境电商企业数量", "annual_value": "≥30家"},
        {"level1": "产出", "code": "12", "name": "扶持资金发放正确率", "annual_value": "100%"},
        {"level1": "产出", "code": "13", "name": "扶持资金发放及时率", "annual_value": "100%"},
        {"level1": "效益", "code": "21", "name": "带动跨境电商进出口额", "annual_value": "≥5亿元"},
        {"level1": "满意度", "code": "31", "name": "扶持企业满意度", "annual_value": "≥90%"},
    ],
}


def draft(**changes: Any) -> dict[str, Any]:
    """A copy of :data:`CLEAN` with top-level fields replaced."""
    out = copy.deepcopy(CLEAN)
    out.update(changes)
    return out


def with_indicator(position: int, **fields: Any) -> dict[str, Any]:
    """:data:`CLEAN` with indicator ``position`` (1-based) changed."""
    out = draft()
    out["indicators"][position - 1].update(fields)
    return out


def without_indicator(position: int) -> dict[str, Any]:
    """:data:`CLEAN` without indicator ``position`` (1-based)."""
    out = draft()
    del out["indicators"][position - 1]
    return out


def plus_indicator(**fields: Any) -> dict[str, Any]:
    """:data:`CLEAN` with one more indicator."""
    out = draft()
    out["indicators"].append(fields)
    return out


DEFECTS: dict[str, dict[str, Any]] = {
    "missing_level1": without_indicator(5),
    "missing_level2": without_indicator(3),
    "qualitative_value": with_indicator(5, annual_value="较好"),
    "weak_target": with_indicator(5, annual_value="≥60%"),
    "inconsistent_values": with_indicator(1, annual_value="≥30家", cycle_value="≥20家"),
    "duplicate_indicator": plus_indicator(
        level1="产出", code="12", name="扶持资金发放正确率", annual_value="100%"
    ),
}
"""Drafts with exactly one defect each (kinds that need no classifier or encoder)."""
