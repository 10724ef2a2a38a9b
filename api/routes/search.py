"""``GET /api/search``: hybrid search over projects, with filters and pagination."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import IndexDep, SettingsDep
from api.errors import ApiError
from api.schemas import ErrorResponse, SearchResponse

router = APIRouter(tags=["search"])

Level1 = Literal["产出", "效益", "满意度", "成本"]


@router.get(
    "/api/search",
    response_model=SearchResponse,
    responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
    summary="Search projects by goal, name and indicators",
)
def search(
    index: IndexDep,
    settings: SettingsDep,
    q: Annotated[str, Query(min_length=1, max_length=2000, description="query text (≤ max_query_chars)")],
    district: Annotated[str | None, Query(max_length=50, description="e.g. 南沙区")] = None,
    department: Annotated[str | None, Query(max_length=100)] = None,
    code: Annotated[str | None, Query(pattern=r"^[1-4][0-9]?$", description="level-2 code, e.g. 13")] = None,
    level1: Annotated[Level1 | None, Query()] = None,
    min_amount: Annotated[float | None, Query(ge=0, le=1e12, allow_inf_nan=False, description="万元")] = None,
    max_amount: Annotated[float | None, Query(ge=0, le=1e12, allow_inf_nan=False, description="万元")] = None,
    year: Annotated[int | None, Query(ge=1990, le=2099, description="budget year, e.g. 2025")] = None,
    province: Annotated[str | None, Query(max_length=50, description="e.g. 陕西省 or 陕西")] = None,
    city: Annotated[str | None, Query(max_length=50, description="e.g. 安康市 or 安康")] = None,
    county: Annotated[str | None, Query(max_length=50, description="e.g. 汉阴县")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> SearchResponse:
    """Hybrid (BM25 + dense) search; each hit carries evidence, highlights and its score breakdown.

    The query itself is validated by ``SearchQuery.validate`` (blank text, amount range…);
    only the length limit, a deployment setting, is checked here.
    """
    from indexer.search.query import SearchQuery

    text = q.strip()
    if len(q) > settings.max_query_chars:
        raise ApiError(
            422,
            "query_too_long",
            f"q: query has {len(q)} characters, the limit is {settings.max_query_chars}",
            {"field": "q", "limit": settings.max_query_chars, "length": len(q)},
        )
    page = index.search(
        SearchQuery(
            text=text,
            district=district or None,
            department=department or None,
            code=code or None,
            level1=level1,
            min_amount=min_amount,
            max_amount=max_amount,
            year=year,
            province=province or None,
            city=city or None,
            county=county or None,
            limit=limit,
            offset=offset,
        )
    )
    return SearchResponse.of(text, page)
