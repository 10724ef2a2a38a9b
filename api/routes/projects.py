"""``GET /api/projects/{id}`` and ``GET /api/projects/{id}/similar``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import CorpusDep, IndexDep
from api.schemas import ErrorResponse, ProjectOut, SimilarResponse

router = APIRouter(tags=["projects"])

ProjectId = Annotated[str, Path(min_length=1, max_length=200, description="project id")]


@router.get(
    "/api/projects/{project_id}",
    response_model=ProjectOut,
    responses={404: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
    summary="A project: goal, amounts, indicators with codes",
)
def get_project(corpus: CorpusDep, project_id: ProjectId) -> ProjectOut:
    """The project with this id (404 when unknown)."""
    return ProjectOut.of(corpus.get(project_id))


@router.get(
    "/api/projects/{project_id}/similar",
    response_model=SimilarResponse,
    responses={404: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
    summary="Similar projects, by default of the other districts",
)
def similar_projects(
    corpus: CorpusDep,
    index: IndexDep,
    project_id: ProjectId,
    k: Annotated[int, Query(ge=1, le=50)] = 10,
    include_same_district: Annotated[bool, Query()] = False,
    year: Annotated[int | None, Query(ge=1990, le=2099, description="only this budget year")] = None,
) -> SimilarResponse:
    """Nearest projects by goal, name and indicator set."""
    source = corpus.get(project_id)  # 404 before any work
    hits = index.similar(project_id, k=k, include_same_district=include_same_district, year=year)
    return SimilarResponse.of(source, hits, include_same_district, year)
