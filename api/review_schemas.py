"""HTTP models of the review, recommend and benchmark endpoints (the core's ``to_dict`` forms)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class DraftIndicatorIn(BaseModel):
    """One drafted indicator."""

    level1: str | None = Field(
        None, description="产出 / 效益 / 满意度 / 成本 (or 1-产出指标); from code if absent"
    )
    code: str | None = Field(None, description="level-2 code 11…43, if filed")
    name: str = Field(..., description="indicator name")
    annual_value: str | None = Field(None, description="年度指标值, e.g. ≥95%")
    cycle_value: str | None = Field(None, description="实施周期指标值")


class DraftProjectIn(BaseModel):
    """One drafted project (never stored)."""

    name: str
    goal: str = ""
    district: str | None = None
    department: str | None = None
    indicators: list[DraftIndicatorIn] = Field(default_factory=list)


class ReviewRequest(BaseModel):
    """Drafted projects as JSON (an uploaded file is the other way in)."""

    projects: list[DraftProjectIn] = Field(..., min_length=1)
    budget_year: int | None = Field(None, ge=2000, le=2100, description="dates outside it are flagged")


class FindingOut(BaseModel):
    """One problem: kind, severity, message, indicator ordinal, and the evidence it rests on."""

    kind: str
    label: str
    severity: str
    message: str
    ordinal: int | None
    evidence: dict[str, Any]


class ProjectReviewOut(BaseModel):
    """The findings of one project."""

    project_id: str
    project_name: str
    framework: str
    counts: dict[str, int]
    findings: list[FindingOut]


class ReviewResponse(BaseModel):
    """The review of a drafted table."""

    file_name: str
    layout: str
    framework: str
    n_projects: int
    n_findings: int
    skipped: list[str]
    projects: list[ProjectReviewOut]
