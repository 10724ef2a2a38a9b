"""The review's records: one :class:`Finding` per problem, grouped per project."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITIES: tuple[str, ...] = ("error", "warning", "info")

KINDS: dict[str, str] = {
    "missing_level1": "缺少一级指标",
    "missing_level2": "缺少二级指标",
    "qualitative_value": "指标值不可衡量",
    "weak_target": "目标值偏低",
    "inconsistent_values": "指标值不一致",
    "code_contradicted": "指标分类存疑",
    "goal_not_measured": "目标未被指标衡量",
    "indicator_off_goal": "指标与目标无关",
    "duplicate_indicator": "指标重复",
    "boilerplate": "套用其他项目",
}
"""Every finding kind and its Chinese label."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem of a drafted project.

    ``ordinal`` is the indicator's number when the finding is about one indicator;
    ``evidence`` always holds ``rule`` (why it fired, with the threshold) and,
    where peers back the claim, ``peers``: the projects, districts and values.
    """

    kind: str
    severity: str
    message: str
    ordinal: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown finding kind {self.kind!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the one serialisation, used by the CLI and the API)."""
        return {
            "kind": self.kind,
            "label": KINDS[self.kind],
            "severity": self.severity,
            "message": self.message,
            "ordinal": self.ordinal,
            "evidence": self.evidence,
        }


@dataclass(frozen=True, slots=True)
class ProjectReview:
    """The findings of one drafted project, most severe first."""

    project_id: str
    project_name: str
    framework: str  # "2021" or "pre2021": which level-1/level-2 set was required
    findings: tuple[Finding, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        counts = {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}
        return {
            "project_id": self.project_id,
            "project_name": self.project_name,
            "framework": self.framework,
            "counts": counts,
            "findings": [f.to_dict() for f in self.findings],
        }


def sort_findings(findings: list[Finding]) -> tuple[Finding, ...]:
    """Most severe first, then by indicator ordinal (project-level findings first)."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return tuple(sorted(findings, key=lambda f: (rank[f.severity], f.ordinal or 0, f.kind)))


FINDING_COLUMNS: tuple[str, ...] = (
    "项目", "项目ID", "严重程度", "类型", "类型代码", "指标序号", "说明", "规则", "依据项目",
)  # fmt: skip
"""Columns of a findings worklist (the export of a review)."""


def finding_rows(reviews: list[dict[str, Any]]) -> list[list[Any]]:
    """One worklist row per finding of ``ProjectReview.to_dict()`` forms; the cited peer
    projects as ``name（district, value）`` joined by ``；``."""
    rows: list[list[Any]] = []
    for project in reviews:
        for f in project["findings"]:
            evidence = f.get("evidence") or {}
            peers = "；".join(
                f"{p.get('project_name', '')}（{p.get('district', '')}"
                + (f"，{p['value']}" if p.get("value") else "")
                + "）"
                for p in evidence.get("peers", [])
                if isinstance(p, dict)
            )
            rows.append(
                [
                    project["project_name"],
                    project["project_id"],
                    f["severity"],
                    KINDS.get(f["kind"], f["kind"]),
                    f["kind"],
                    f.get("ordinal"),
                    f["message"],
                    evidence.get("rule", ""),
                    peers,
                ]
            )
    return rows
