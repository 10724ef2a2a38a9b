"""``POST /api/export/review`` and ``POST /api/export/table``: findings worklists, search results and
audit lists as ``.xlsx`` or ``.csv`` downloads (nothing is stored)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.export import FORMATS, download_name, export_bytes
from api.review_schemas import ReviewResponse
from api.schemas import ErrorResponse

router = APIRouter(tags=["export"])
MAX_ROWS = 20_000
MAX_COLUMNS = 50
FormatQuery = Annotated[str, Query(alias="format", pattern="^(xlsx|csv)$", description="xlsx or csv")]


class TableExport(BaseModel):
    """Any table the page shows (search results, audit lists): a title, headers and rows."""

    title: str = Field("jixiao", max_length=60)
    headers: list[str] = Field(..., min_length=1, max_length=MAX_COLUMNS)
    rows: list[list[str | int | float | bool | None]] = Field(..., max_length=MAX_ROWS)


def _download(fmt: str, title: str, headers: list[str], rows: list[list[Any]]) -> Response:
    name, ascii_name = download_name(title, fmt, date.today().isoformat())
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(
        export_bytes(fmt, title, headers, rows),
        media_type=FORMATS[fmt],
        headers={"Content-Disposition": disposition},
    )


@router.post(
    "/api/export/review",
    response_class=Response,
    responses={200: {"content": {m: {} for m in FORMATS.values()}}, 422: {"model": ErrorResponse}},
    summary="A review's findings as a worklist (.xlsx or .csv)",
)
def export_review(body: ReviewResponse, fmt: FormatQuery = "xlsx") -> Response:
    """Post back what ``POST /api/review`` answered; one row per finding, with rule and peers."""
    from classifier.review.findings import FINDING_COLUMNS, finding_rows

    rows = finding_rows([p.model_dump() for p in body.projects])
    return _download(fmt, "审核意见", list(FINDING_COLUMNS), rows)


@router.post(
    "/api/export/table",
    response_class=Response,
    responses={200: {"content": {m: {} for m in FORMATS.values()}}, 422: {"model": ErrorResponse}},
    summary="Any table (search results, audit lists) as .xlsx or .csv",
)
def export_table(body: TableExport, fmt: FormatQuery = "xlsx") -> Response:
    """Rows longer than the headers are cut, shorter ones padded."""
    width = len(body.headers)
    rows = [(row + [None] * width)[:width] for row in body.rows]
    return _download(fmt, body.title.strip() or "jixiao", body.headers, rows)
