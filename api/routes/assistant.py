"""``POST /api/recommend`` and ``GET /api/indicators/benchmark``: the drafting assistant's answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.review_schemas import BenchmarkResponse, RecommendRequest, RecommendResponse
from api.routes.review import ReviewerDep
from api.schemas import ErrorResponse

router = APIRouter(tags=["review"])
_ERRORS = {422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}}


@router.post(
    "/api/recommend",
    response_model=RecommendResponse,
    responses=_ERRORS,
    summary="Propose an indicator set for a new project, from the most similar projects",
)
def recommend(body: RecommendRequest, reviewer: ReviewerDep) -> RecommendResponse:
    """Per required level-1/level-2 code: the indicators similar projects use, a typical value
    (their median or mode, with its unit) and every source project."""
    rec = reviewer.recommend(body.name, body.goal, body.district, body.framework)
    return RecommendResponse.model_validate(rec.to_dict())


@router.get(
    "/api/indicators/benchmark",
    response_model=BenchmarkResponse,
    responses=_ERRORS,
    summary="Target values of the same or similar indicators: count, median, quartiles, by district and year",
)
def indicator_benchmark(
    reviewer: ReviewerDep,
    name: Annotated[str, Query(min_length=1, max_length=100, description="indicator name")],
    limit: Annotated[int, Query(ge=1, le=1000, description="peers listed")] = 100,
) -> BenchmarkResponse:
    """The distribution per unit (most used first); ``list`` holds the peers themselves."""
    return BenchmarkResponse.model_validate(reviewer.benchmark(name).to_dict(limit=limit))
