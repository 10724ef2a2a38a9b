"""``POST /api/review``: check a drafted table (uploaded file, or JSON projects); nothing is stored."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError

from api.deps import HolderDep, SettingsDep, StateDep
from api.errors import ApiError
from api.loaders import open_reviewer
from api.review_schemas import ReviewRequest, ReviewResponse
from api.routes.ingest import safe_file_name
from api.schemas import ErrorResponse
from api.settings import Settings
from api.state import ServiceHolder, ServiceState

router = APIRouter(tags=["review"])


def reviewer_of(holder: ServiceHolder, state: ServiceState) -> Any:
    """The snapshot's review assistant, built once per corpus generation (its indexes warmed)."""
    corpus = state.require_corpus()
    key = f"{state.generation}:{corpus.content_hash}"
    return holder.cached(
        "reviewer",
        key,
        lambda: open_reviewer(state.settings, corpus, state.encoder, state.index, state.classifier).warm(),
    )


def get_reviewer(holder: HolderDep, state: StateDep) -> Any:
    """Dependency: the current review assistant (503 without a corpus)."""
    return reviewer_of(holder, state)


ReviewerDep = Annotated[Any, Depends(get_reviewer)]

_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": ReviewRequest.model_json_schema(ref_template="#/components/schemas/{model}")
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


async def _read_upload(request: Request, settings: Settings) -> tuple[bytes, str]:
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise ApiError(422, "invalid_input", "file: upload a draft table as the multipart field 'file'")
    data = await upload.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise ApiError(413, "payload_too_large", f"upload is larger than {settings.max_upload_bytes} bytes")
    name = safe_file_name(upload.filename)
    if not data:
        raise ApiError(422, "invalid_input", f"{name}: the uploaded file is empty", {"file": name})
    return data, name


def _json_draft(raw: bytes) -> tuple[Any, int | None]:
    from classifier.review.draft import load_json

    try:
        body = ReviewRequest.model_validate(load_json(raw or b"null", "body"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise ApiError(422, "invalid_input", f"{where}: {first['msg']}", {"field": where}) from None
    projects = [p.model_dump(exclude_none=True) for p in body.projects]
    return {"projects": projects}, body.budget_year


@router.post(
    "/api/review",
    response_model=ReviewResponse,
    openapi_extra=_REQUEST_BODY,
    responses={
        400: {"model": ErrorResponse},
        413: {"model": ErrorResponse},
        415: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        503: {"model": ErrorResponse},
    },
    summary="Review a drafted target table: findings per project, each with its evidence",
)
async def review(
    request: Request,
    reviewer: ReviewerDep,
    settings: SettingsDep,
    budget_year: Annotated[int | None, Query(ge=2000, le=2100, description="for uploads")] = None,
) -> ReviewResponse:
    """Upload a table (any ingestible format, multipart field ``file``) or post JSON projects.

    The draft is parsed in memory and never stored. Each finding says which rule
    fired and cites the peer projects, districts and values it rests on.
    """
    from classifier.review.draft import draft_table, parse_draft

    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        data, name = await _read_upload(request, settings)
        table = await anyio.to_thread.run_sync(parse_draft, data, name)
    elif content_type.startswith("application/json"):
        draft, year = _json_draft(await request.body())
        budget_year = budget_year or year
        table = draft_table(draft, "<draft>")
    else:
        raise ApiError(415, "unsupported_media_type", "send application/json projects or a multipart 'file'")
    if len(table.projects) > settings.review_max_projects:
        raise ApiError(
            422,
            "too_many_projects",
            f"{table.file_name}: {len(table.projects)} projects, the limit is {settings.review_max_projects}",
            {"limit": settings.review_max_projects},
        )
    result = await anyio.to_thread.run_sync(reviewer.review_table, table, budget_year)
    return ReviewResponse.model_validate(result.to_dict())
