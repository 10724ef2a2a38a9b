"""``POST /api/ingest``: upload a table, store it and index it, then swap the service state.

Order of work, so that a bad file changes nothing and searches never see a mix:
token check → size check (413) → the bytes in memory under a sanitised name (never used
as a path) → read through ``indexer.ingest`` (``ParseError`` names file and place; a
page, cell or depth limit is 422) → store in one transaction, the original bytes kept
content-addressed → incremental index update → new ``ServiceState`` swapped in
under the holder's write lock. ``?dry_run=true`` stops after the read and returns
the preview (``indexer.preview``): nothing is written.
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from dataclasses import replace
from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from api.deps import HolderDep, SettingsDep
from api.errors import ApiError
from api.pipeline import ingest_and_index
from api.schemas import ErrorResponse, IngestResponse
from api.settings import Settings
from api.state import ServiceHolder, ServiceState
from indexer.ingest import InputFile, read_source
from indexer.preview import preview_dict
from indexer.readers import ReadLimits
from indexer.store import IngestReport

log = logging.getLogger("jixiao.api")
router = APIRouter(tags=["ingest"])

_bearer = HTTPBearer(auto_error=False, description="the ingest token (settings.ingest_token)")
# Whitespace and ASCII punctuation but . - _ ( ): the name is never a path, only shown and
# stored, so Chinese punctuation stays — "表：2025.xlsx" and "表，2025.xlsx" are two tables, and
# mapping both to one name would make the second upload replace the first.
_UNSAFE = re.compile(r"[\s!\"#$%&'*+,/:;<=>?@\[\\\]^`{|}~]+")
MAX_NAME_CHARS = 120
LOCK_TIMEOUT_S = 120.0


class IngestPreviewResponse(BaseModel):
    """What an upload would add (``dry_run=true``); nothing is written (``indexer.preview``)."""

    dry_run: bool = True
    file_name: str
    sha256: str
    layout: str
    score: float
    reason: str
    department: str
    district: str
    projects: int
    indicators: int
    coded_indicators: int
    warnings: list[str]
    items: list[dict[str, Any]]


def require_ingest_token(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """403 when ingest is disabled (no token configured), 401 without a token, 403 with a wrong one."""
    configured = settings.ingest_token.get_secret_value() if settings.ingest_token else ""
    if not configured:
        raise ApiError(403, "ingest_disabled", "ingest is disabled: no JIXIAO_INGEST_TOKEN configured")
    if credentials is None or not credentials.credentials:
        raise ApiError(
            401,
            "unauthorized",
            "ingest requires 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not secrets.compare_digest(credentials.credentials.encode(), configured.encode()):
        raise ApiError(403, "forbidden", "wrong ingest token")


def safe_file_name(raw: str | None) -> str:
    """The upload's base name, stripped of directories, control and unsafe characters.

    ``../../etc/passwd`` → ``passwd``; ``C:\\x\\表.txt`` → ``表.txt``; never empty,
    never starting with a dot, at most ``MAX_NAME_CHARS`` characters.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = _UNSAFE.sub("_", name).strip("._ ")
    if not name:
        name = "upload.txt"
    if len(name) > MAX_NAME_CHARS:
        stem, dot, suffix = name.rpartition(".")
        name = (
            (stem[: MAX_NAME_CHARS - len(suffix) - 1] + dot + suffix)
            if dot and len(suffix) <= 10
            else (name[:MAX_NAME_CHARS])
        )
    return name


def _read_limited(upload: UploadFile, name: str, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := upload.file.read(1 << 16):
        size += len(chunk)
        if size > limit:
            raise ApiError(
                413,
                "payload_too_large",
                f"upload is larger than the limit of {limit} bytes",
                {"limit": limit},
            )
        chunks.append(chunk)
    if size == 0:
        raise ApiError(422, "invalid_input", f"{name}: the uploaded file is empty", {"file": name})
    return b"".join(chunks)


def read_limits(settings: Settings) -> ReadLimits:
    """The readers' limits for an upload: the defaults, with the upload size limit."""
    return ReadLimits(max_bytes=settings.max_upload_bytes)


def ingest_file(
    holder: ServiceHolder, settings: Settings, upload: InputFile
) -> tuple[ServiceState, IngestReport, int]:
    """Store and index one table, then swap in the new state. Returns (state, report, added projects).

    Caller holds ``holder.write_lock``. The same pipeline as ``jixiao build``
    (``api.pipeline.ingest_and_index``), lending it the vectors of the index in use.
    """
    state = holder.current
    old_index = state.require_index()
    old_corpus = state.require_corpus()
    outcome = ingest_and_index(
        settings, [upload], state.require_encoder(), previous=old_index, limits=read_limits(settings)
    )
    if outcome.corpus.content_hash == old_corpus.content_hash:
        return state, outcome.report, 0
    # A new SearchIndex object (written atomically to index_dir); the old object is
    # untouched, so in-flight searches stay consistent.
    new_state = replace(
        state, corpus=outcome.corpus, index=outcome.index, generation=state.generation + 1, problems=()
    )
    holder.swap(new_state)
    log.info("ingested %s: %s (generation %d)", upload.name, outcome.report, new_state.generation)
    return new_state, outcome.report, len(outcome.report.project_ids_added)


@router.post(
    "/api/ingest",
    response_model=IngestResponse | IngestPreviewResponse,
    dependencies=[Depends(require_ingest_token)],
    responses={
        400: {"model": ErrorResponse, "description": "malformed multipart body (file_name_too_long)"},
        401: {"model": ErrorResponse, "description": "no bearer token"},
        403: {"model": ErrorResponse, "description": "wrong token, or ingest disabled"},
        413: {"model": ErrorResponse, "description": "upload over the size limit"},
        415: {"model": ErrorResponse, "description": "a format not read (.et, .doc, .ods…)"},
        422: {
            "model": ErrorResponse,
            "description": "the file could not be read, or is over a read limit (pages, cells…); "
            "names file and place",
        },
        503: {"model": ErrorResponse},
    },
    summary="Upload a table file; it is read, stored and indexed atomically (or only previewed)",
)
def ingest(
    file: Annotated[
        UploadFile, File(description="a 项目支出绩效目标表 (.xlsx .xls .docx .html .pdf .csv .txt)")
    ],
    holder: HolderDep,
    settings: SettingsDep,
    dry_run: Annotated[
        bool, Query(description="only read the file and show what it would add; write nothing")
    ] = False,
) -> IngestResponse | IngestPreviewResponse:
    """Read, store and index one uploaded table; a bad file changes nothing."""
    name = safe_file_name(file.filename)
    data = _read_limited(file, name, settings.max_upload_bytes)
    if dry_run:
        return IngestPreviewResponse(**preview_dict(read_source(data, name, read_limits(settings))))
    if not holder.write_lock.acquire(timeout=LOCK_TIMEOUT_S):
        raise ApiError(503, "busy", "another ingest is running; try again later")
    try:
        state, report, added = ingest_file(holder, settings, InputFile(name, data))
    finally:
        holder.write_lock.release()
    corpus = state.require_corpus()
    return IngestResponse(
        file_name=name,
        report=str(report),
        projects=len(corpus),
        indicators=corpus.n_indicators,
        added_projects=added,
        generation=state.generation,
        warnings=[str(w) for w in report.warnings],
    )
