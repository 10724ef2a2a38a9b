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


class RecommendRequest(BaseModel):
    """A new project to propose indicators for."""

    name: str = Field(..., min_length=1, max_length=200)
    goal: str = Field("", max_length=2000)
    district: str | None = Field(
        None, max_length=50, description="its district: that district's peers weigh more"
    )
    framework: str = Field("pre2021", pattern="^(pre2021|2021)$", description="2021: 成本 as a level-1")


class ProposalOut(BaseModel):
    """One proposed indicator with a typical value and the projects that use it."""

    code: str
    label: str
    level1: str
    name: str
    value: str | None
    score: float
    origin: str
    n_sources: int
    sources: list[dict[str, Any]]


class RecommendResponse(BaseModel):
    """The proposed indicator set."""

    name: str
    goal: str
    district: str | None
    framework: str
    codes: list[str]
    proposals: list[ProposalOut]
    neighbours: list[dict[str, Any]]


class UnitBenchmarkOut(BaseModel):
    """The distribution of one unit's values, overall, by district and by year."""

    unit: str | None
    count: int
    median: float
    q1: float
    q3: float
    min: float
    max: float
    by_district: dict[str, dict[str, Any]]
    by_year: dict[str, dict[str, Any]]


class BenchmarkResponse(BaseModel):
    """Target values of the same or similar indicators across the corpus."""

    name: str
    count: int
    n_qualitative: int
    names: list[dict[str, Any]]
    units: list[UnitBenchmarkOut]
    list: list[dict[str, Any]]
