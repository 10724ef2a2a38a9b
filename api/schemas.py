"""Pydantic models of the HTTP edge, and their conversion from domain records.

The domain speaks frozen dataclasses (``indexer.records``, ``classifier.records``);
only this module knows the JSON shapes the API promises.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from classifier.records import Prediction
from indexer.records import Evidence, Hit, Project, SimilarHit

if TYPE_CHECKING:
    from indexer.search.query import SearchPage


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _code_label(code: str | None) -> str | None:
    if code is None:
        return None
    from classifier.taxonomy import BY_CODE

    category = BY_CODE.get(code)
    return category.label if category else None


class ErrorDetail(BaseModel):
    """The body of every failure."""

    code: str = Field(description="machine-readable error code, e.g. invalid_input, not_found")
    message: str = Field(description="what went wrong, for people")
    details: Any = Field(default=None, description="structured context (field errors, file and line…)")


class ErrorResponse(BaseModel):
    """``{"error": {...}}`` — the one error shape of the API."""

    error: ErrorDetail


class AmountsOut(BaseModel):
    """Project amounts in 万元."""

    total: float | None = None
    fiscal: float | None = None
    special_account: float | None = None
    other: float | None = None
    central: float | None = None
    local: float | None = None
    upper: float | None = Field(None, description="上级资金 / 上级补助 (transfers from a higher government)")
    printed_unit: str | None = Field(None, description="the unit the form printed (元), when not 万元")


class HighlightOut(BaseModel):
    """A highlighted span ``[start, end)`` of the evidence text (code points)."""

    start: int
    end: int


class EvidenceOut(BaseModel):
    """Why a project matched."""

    kind: str = Field(description='"name", "goal" or "indicator"')
    text: str
    highlights: list[HighlightOut] = Field(default_factory=list)
    indicator_ordinal: int | None = None
    level2_code: str | None = None
    level2_label: str | None = None

    @classmethod
    def of(cls, evidence: Evidence) -> EvidenceOut:
        """From the domain record."""
        return cls(
            kind=evidence.kind,
            text=evidence.text,
            highlights=[HighlightOut(start=h.start, end=h.end) for h in evidence.highlights],
            indicator_ordinal=evidence.indicator_ordinal,
            level2_code=evidence.level2_code,
            level2_label=_code_label(evidence.level2_code),
        )


class ScoreOut(BaseModel):
    """Per-hit score breakdown of the hybrid ranking."""

    fused: float
    bm25_rank: int | None = None
    dense_rank: int | None = None
    bm25_score: float | None = None
    dense_score: float | None = None


class ProjectHitOut(BaseModel):
    """What every ranked project shows: the project, its score and the evidence."""

    project_id: str
    project_name: str
    district: str
    department: str
    amount_total: float | None = Field(default=None, description="万元")
    score: float
    province: str | None = None
    city: str | None = None
    county: str | None = None
    budget_year: int | None = None

    @staticmethod
    def project_fields(hit: Hit | SimilarHit) -> dict[str, Any]:
        """The fields a search hit and a similar-project hit share, from either record."""
        return {
            "project_id": hit.project_id,
            "project_name": hit.project_name,
            "district": hit.district,
            "department": hit.department,
            "amount_total": _num(hit.amount_total),
            "score": hit.score,
            "evidence": EvidenceOut.of(hit.evidence),
            "province": hit.province,
            "city": hit.city,
            "county": hit.county,
            "budget_year": hit.budget_year,
        }


class HitOut(ProjectHitOut):
    """One ranked project of a search."""

    scores: ScoreOut
    evidence: EvidenceOut

    @classmethod
    def of(cls, hit: Hit) -> HitOut:
        """From the domain record."""
        scores = ScoreOut(
            fused=hit.score,
            bm25_rank=hit.bm25_rank,
            dense_rank=hit.dense_rank,
            bm25_score=hit.bm25_score,
            dense_score=hit.dense_score,
        )
        return cls(**cls.project_fields(hit), scores=scores)


class SearchResponse(BaseModel):
    """A page of search results."""

    query: str
    total: int = Field(description="number of matching projects (all pages)")
    offset: int
    limit: int
    hits: list[HitOut]

    @classmethod
    def of(cls, query: str, page: SearchPage) -> SearchResponse:
        """The page of results the domain search gave for ``query`` (HTTP and CLI ``--json``)."""
        hits = [HitOut.of(hit) for hit in page.hits]
        return cls(query=query, total=page.total, offset=page.offset, limit=page.limit, hits=hits)


class IndicatorOut(BaseModel):
    """One indicator of a project."""

    id: str
    ordinal: int
    level1: str | None = Field(description="产出/效益/满意度/成本; null when the form prints no category")
    level2_code: str | None
    level2_label: str | None
    name: str
    cycle_value: str | None
    annual_value: str | None


class ProjectOut(BaseModel):
    """A project with its goal, amounts and indicators."""

    id: str
    name: str
    district: str
    department: str
    budget_unit: str | None
    amounts: AmountsOut
    goal: str
    source_file: str
    source_line: int
    origin: str | None = Field(None, description="where the project starts in its file (sheet/page, row)")
    province: str | None = None
    city: str | None = None
    county: str | None = None
    budget_year: int | None = None
    indicators: list[IndicatorOut]

    @classmethod
    def of(cls, project: Project) -> ProjectOut:
        """From the domain record, through its one serialisation (``Project.to_dict``, also the
        ingest preview's): the API adds the level-2 labels and shows the origin as text."""
        data = project.to_dict()
        return cls.model_validate(
            {
                **data,
                "origin": None if project.origin is None else str(project.origin),
                "indicators": [
                    {**i, "level2_label": _code_label(i["level2_code"])} for i in data["indicators"]
                ],
            }
        )


class SimilarScoreOut(BaseModel):
    """Why a project is similar: the combined score and its two signals, with their ranks."""

    combined: float = Field(description="weighted sum of cosine and overlap; hits are ranked by it")
    cosine: float = Field(description="cosine of the two project vectors (name, goal, indicators)")
    cosine_rank: int
    overlap: float = Field(description="idf-weighted Jaccard overlap of the indicator vocabularies")
    overlap_rank: int


class SimilarHitOut(ProjectHitOut):
    """One similar project."""

    scores: SimilarScoreOut
    evidence: EvidenceOut

    @classmethod
    def of(cls, hit: SimilarHit) -> SimilarHitOut:
        """From the domain record."""
        scores = SimilarScoreOut(
            combined=hit.score,
            cosine=hit.cosine,
            cosine_rank=hit.cosine_rank,
            overlap=hit.overlap,
            overlap_rank=hit.overlap_rank,
        )
        return cls(**cls.project_fields(hit), scores=scores)


class SimilarResponse(BaseModel):
    """Nearest projects of (by default) other districts."""

    project_id: str
    project_name: str
    district: str
    include_same_district: bool
    year: int | None = Field(None, description="the budget-year filter, when one was given")
    hits: list[SimilarHitOut]

    @classmethod
    def of(
        cls, source: Project, hits: list[SimilarHit], include_same_district: bool, year: int | None
    ) -> SimilarResponse:
        """The projects like ``source`` the domain search gave (HTTP and CLI ``--json``)."""
        return cls(
            project_id=source.id,
            project_name=source.name,
            district=source.district,
            include_same_district=include_same_district,
            year=year,
            hits=[SimilarHitOut.of(hit) for hit in hits],
        )


class ClassifyItem(BaseModel):
    """One drafted indicator to tag."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=500, description="indicator name, e.g. 展会筹备工作按时完成率")
    value: str | None = Field(default=None, max_length=200, description="target value, e.g. ≥5家")
    level1: str | None = Field(
        default=None,
        max_length=20,
        description="产出/效益/满意度/成本, or the cell as a form prints it (效益指标(30分)), if known",
    )
    framework: str | None = Field(
        default=None, max_length=10, description="the table's framework, pre2021 or 2021, if known (14 vs 41)"
    )


class ClassifyRequest(BaseModel):
    """A batch of drafted indicators (at most ``settings.max_batch``)."""

    model_config = ConfigDict(extra="forbid")

    items: list[ClassifyItem] = Field(min_length=1)


class CandidateOut(BaseModel):
    """One of the top-3 codes."""

    code: str
    label: str
    probability: float


class PredictionOut(BaseModel):
    """The tag of one indicator."""

    name: str
    code: str
    label: str
    level1: str
    probability: float
    needs_review: bool
    reason: str | None = None
    top3: list[CandidateOut]

    @classmethod
    def of(cls, name: str, prediction: Prediction) -> PredictionOut:
        """From the domain record, through its one serialisation (``Prediction.to_dict``)."""
        return cls.model_validate({"name": name, **prediction.to_dict()})


class ClassifyResponse(BaseModel):
    """Tags, in the order of the request."""

    predictions: list[PredictionOut]


class CountOut(BaseModel):
    """A named count."""

    name: str
    projects: int
    indicators: int
    amount_total: float | None = Field(default=None, description="万元")


class YearCountOut(BaseModel):
    """Projects of one budget year (None: unknown)."""

    year: int | None
    projects: int
    indicators: int
    amount_total: float | None = Field(default=None, description="万元")


class RegionCountOut(BaseModel):
    """Projects of one region (None where a level is unknown)."""

    province: str | None
    city: str | None
    county: str | None
    projects: int
    indicators: int
    amount_total: float | None = Field(default=None, description="万元")


class CodeCountOut(BaseModel):
    """How many indicators carry a level-2 code (None: level-1 only)."""

    code: str | None
    label: str | None
    level1: str | None
    indicators: int


class SourceOut(BaseModel):
    """One ingested table."""

    file_name: str
    sha256: str
    projects: int


class StatsResponse(BaseModel):
    """Corpus counts for the filters and the overview."""

    projects: int
    indicators: int
    corpus_hash: str
    generation: int
    districts: list[CountOut]
    departments: list[CountOut]
    codes: list[CodeCountOut]
    sources: list[SourceOut]
    years: list[YearCountOut] = Field(default_factory=list, description="by year; unknown last")
    regions: list[RegionCountOut] = Field(default_factory=list, description="most projects first")


class TaxonomyCodeOut(BaseModel):
    """One level-2 code of the taxonomy."""

    code: str
    label: str
    level1: str
    frameworks: list[str]


class TaxonomyResponse(BaseModel):
    """The level-1 names and every level-2 code."""

    level1: list[str]
    codes: list[TaxonomyCodeOut]


class ArtifactStatus(BaseModel):
    """Whether one artifact is loaded."""

    loaded: bool
    detail: str | None = None


class HealthResponse(BaseModel):
    """Readiness: every artifact loaded and consistent."""

    status: str
    generation: int
    artifacts: dict[str, ArtifactStatus]
    problems: list[str]


class IngestResponse(BaseModel):
    """What an upload changed."""

    file_name: str
    report: str
    projects: int
    indicators: int
    added_projects: int
    generation: int
    warnings: list[str] = []  # read, but worth telling (a sheet no layout reads …), each naming the place
