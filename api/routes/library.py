"""``GET /api/library``: browse and search the indicator library (绩效指标库) by sector and code."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.schemas import ErrorResponse

router = APIRouter(tags=["library"])


class LibraryEntryOut(BaseModel):
    """One typical indicator of the library."""

    id: str
    sector: str
    level1: str
    code: str
    level2_label: str
    name: str
    value: str
    unit: str | None
    printed_value: str
    framework: str
    source: str
    basis: str
    url: str | None


class LibrarySectorOut(BaseModel):
    """A sector and how many entries it holds."""

    sector: str
    count: int


class LibraryResponse(BaseModel):
    """Entries matching the filters (one page of them), their total, and every sector."""

    total: int
    offset: int
    entries: list[LibraryEntryOut]
    sectors: list[LibrarySectorOut]


@router.get(
    "/api/library",
    response_model=LibraryResponse,
    responses={422: {"model": ErrorResponse}},
    summary="Indicator library: typical indicators by sector and level-2 code, searchable by name",
)
def library(
    sector: Annotated[str | None, Query(max_length=20, description="sector, e.g. 教育")] = None,
    code: Annotated[str | None, Query(max_length=4, description="level-2 code, e.g. 12")] = None,
    q: Annotated[str | None, Query(max_length=100, description="words the name must contain")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> LibraryResponse:
    """Entries of ``sector`` and ``code`` whose name contains every word of ``q``."""
    from classifier.library import load_library, search_library, sector_counts

    entries = load_library()
    hits = search_library(entries, sector=sector or None, code=code or None, query=q or None)
    counts = sector_counts(entries)
    return LibraryResponse(
        total=len(hits),
        offset=offset,
        entries=[LibraryEntryOut(**e.to_dict()) for e in hits[offset : offset + limit]],
        sectors=[LibrarySectorOut(sector=s, count=n) for s, n in counts.items()],
    )
