"""Every failure becomes one JSON shape: ``{"error": {"code", "message", "details"}}``.

Domain exceptions (``indexer/errors.py``) are mapped to HTTP status codes here
and nowhere else; FastAPI's own validation errors, Starlette's HTTP exceptions
(unknown route 404, 405, malformed multipart 400) and unhandled exceptions (500,
no traceback leaked) are rewritten into the same shape.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from indexer.errors import (
    ArtifactError,
    ArtifactMismatchError,
    FileTooLargeError,
    InvalidInputError,
    JixiaoError,
    NotFoundError,
    ParseError,
    StoreBusyError,
    UnsupportedFormatError,
)
from indexer.position import Position

log = logging.getLogger("jixiao.api")


class ApiError(JixiaoError):
    """An HTTP-level refusal that has no domain equivalent (auth, size, readiness)."""

    def __init__(
        self, status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
        super().__init__(message)


_STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    500: "internal_error",
    503: "unavailable",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The one error shape."""
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A JSON response in the one error shape."""
    return JSONResponse(
        error_body(code, message, jsonable_encoder(details)), status_code=status, headers=headers
    )


def status_for(exc: JixiaoError) -> int:
    """HTTP status of a domain exception."""
    if isinstance(exc, ApiError):
        return exc.status
    if isinstance(exc, FileTooLargeError):
        return 413  # the file's bytes are over the size limit; other read limits are 422 below
    if isinstance(exc, UnsupportedFormatError):
        return 415
    if isinstance(exc, InvalidInputError):
        return 422
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ArtifactError | StoreBusyError):
        return 503
    return 500


def _details(exc: JixiaoError) -> Any:
    if isinstance(exc, ApiError):
        return exc.details
    if isinstance(exc, ParseError):
        position = exc.position or Position(exc.file, line=exc.line)
        return {"file": exc.file, "line": exc.line, "position": position.to_dict()}
    if isinstance(exc, ArtifactMismatchError):
        return {"artifact": exc.artifact, "field": exc.field, "expected": exc.expected, "found": exc.found}
    if isinstance(exc, StoreBusyError):
        return {"store": exc.store, "waited_s": exc.waited_s}
    return None


async def _domain_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, JixiaoError)
    status = status_for(exc)
    if status >= 500:
        log.warning("%s %s -> %s: %s", request.method, request.url.path, status, exc)
    code = exc.code
    headers = exc.headers if isinstance(exc, ApiError) else None
    if isinstance(exc, StoreBusyError):
        headers = {"Retry-After": str(max(1, round(exc.waited_s)))}
    return error_response(status, code, str(exc), _details(exc), headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # The offending input is not echoed back: it may be huge or binary.
    return [
        {
            "loc": [str(part) for part in err.get("loc", ())],
            "msg": str(err.get("msg", "")),
            "type": err.get("type"),
        }
        for err in exc.errors()
    ]


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = _validation_details(exc)
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(first["loc"]) or "request"
    return error_response(422, "invalid_input", f"{where}: {first['msg']}", details)


def _causes(exc: BaseException) -> list[BaseException]:
    """The exceptions ``exc`` was raised from or while handling, nearest first."""
    chain: list[BaseException] = []
    cause = exc.__cause__ or exc.__context__
    while cause is not None and len(chain) < 8:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    return chain


_HEADER_TOO_LONG = "Maximum header size exceeded"  # python-multipart's reason under "Invalid multipart data."


def _multipart_reason(exc: StarletteHTTPException) -> tuple[str, str, dict[str, int]] | None:
    """(code, message, details) of a multipart body Starlette refused with a bare "Invalid multipart data.":
    a part header over python-multipart's limit is almost always an upload's very long file name."""
    if exc.status_code != 400 or not any(_HEADER_TOO_LONG in str(c) for c in _causes(exc)):
        return None
    try:
        from python_multipart.multipart import DEFAULT_MAX_HEADER_SIZE as limit
    except ImportError:  # an older python-multipart: the number is only for the message
        limit = 4224
    return (
        "file_name_too_long",
        f"upload: a part header of the multipart body is longer than {limit:,} bytes (a file name that "
        "long?): give the file a shorter name (names are kept to at most 120 characters) and try again",
        {"limit": limit},
    )


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    details = None
    if (reason := _multipart_reason(exc)) is not None:
        code, message, details = reason
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such resource: {request.url.path}"
    if exc.status_code == 405:
        message = f"method {request.method} not allowed on {request.url.path}"
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, code, message, details, headers)


async def _unhandled_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every failure the one shape."""
    app.add_exception_handler(JixiaoError, _domain_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(Exception, _unhandled_handler)
