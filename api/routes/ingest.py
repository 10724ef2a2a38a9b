"""``POST /api/ingest``: upload a table, store it and index it, then swap the service state.

Order of work, so that a bad file changes nothing and searches never see a mix:
token check → size check → sanitised temp file → parse (``ParseError`` names file
and line) → store in one transaction → incremental index update → new
``ServiceState`` swapped in under the holder's write lock.
"""

from __future__ import annotations

import logging
import re
import secrets
import tempfile
import unicodedata
from dataclasses import replace
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import HolderDep, SettingsDep
from api.errors import ApiError
from api.pipeline import ingest_and_index
from api.schemas import ErrorResponse, IngestResponse
from api.settings import Settings
from api.state import ServiceHolder, ServiceState

log = logging.getLogger("jixiao.api")
router = APIRouter(tags=["ingest"])

_bearer = HTTPBearer(auto_error=False, description="the ingest token (settings.ingest_token)")
_UNSAFE = re.compile(r"[^\w.\-()（）]+", re.UNICODE)
MAX_NAME_CHARS = 120
LOCK_TIMEOUT_S = 120.0


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


def _copy_limited(upload: UploadFile, dest: Path, limit: int) -> int:
    written = 0
    with dest.open("wb") as out:
        while chunk := upload.file.read(1 << 16):
            written += len(chunk)
            if written > limit:
                raise ApiError(
                    413,
                    "payload_too_large",
                    f"upload is larger than the limit of {limit} bytes",
                    {"limit": limit},
                )
            out.write(chunk)
    if written == 0:
        raise ApiError(422, "invalid_input", f"{dest.name}: the uploaded file is empty", {"file": dest.name})
    return written


def ingest_file(holder: ServiceHolder, settings: Settings, path: Path) -> tuple[ServiceState, str, int]:
    """Store and index one table, then swap in the new state. Returns (state, report, added projects).

    Caller holds ``holder.write_lock``. The same pipeline as ``jixiao build``
    (``api.pipeline.ingest_and_index``), lending it the vectors of the index in use.
    """
    state = holder.current
    old_index = state.require_index()
    old_corpus = state.require_corpus()
    outcome = ingest_and_index(settings, [path], state.require_encoder(), previous=old_index)
    if outcome.corpus.content_hash == old_corpus.content_hash:
        return state, str(outcome.report), 0
    # A new SearchIndex object (written atomically to index_dir); the old object is
    # untouched, so in-flight searches stay consistent.
    new_state = replace(
        state, corpus=outcome.corpus, index=outcome.index, generation=state.generation + 1, problems=()
    )
    holder.swap(new_state)
    log.info("ingested %s: %s (generation %d)", path.name, outcome.report, new_state.generation)
    return new_state, str(outcome.report), len(outcome.report.project_ids_added)


@router.post(
    "/api/ingest",
    response_model=IngestResponse,
    dependencies=[Depends(require_ingest_token)],
    responses={
        401: {"model": ErrorResponse, "description": "no bearer token"},
        403: {"model": ErrorResponse, "description": "wrong token, or ingest disabled"},
        413: {"model": ErrorResponse, "description": "upload too large"},
        422: {"model": ErrorResponse, "description": "the file could not be parsed (names file and line)"},
        503: {"model": ErrorResponse},
    },
    summary="Upload a table file; it is parsed, stored and indexed atomically",
)
def ingest(
    file: Annotated[UploadFile, File(description="a 项目支出绩效目标表 table (text/TSV)")],
    holder: HolderDep,
    settings: SettingsDep,
) -> IngestResponse:
    """Parse, store and index one uploaded table; a bad file changes nothing."""
    name = safe_file_name(file.filename)
    if not holder.write_lock.acquire(timeout=LOCK_TIMEOUT_S):
        raise ApiError(503, "busy", "another ingest is running; try again later")
    try:
        with tempfile.TemporaryDirectory(prefix="jixiao-upload-") as tmp:
            path = Path(tmp) / name
            _copy_limited(file, path, settings.max_upload_bytes)
            state, report, added = ingest_file(holder, settings, path)
    finally:
        holder.write_lock.release()
    corpus = state.require_corpus()
    return IngestResponse(
        file_name=name,
        report=report,
        projects=len(corpus),
        indicators=corpus.n_indicators,
        added_projects=added,
        generation=state.generation,
    )
