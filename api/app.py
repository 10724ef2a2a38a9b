"""The FastAPI application: JSON API under ``/api``, the web page at ``/``, docs at ``/docs``.

``create_app`` builds the app without loading anything; the lifespan loads the
corpus, encoder, search index and classifier once into a ``ServiceState`` held
by a ``ServiceHolder`` on ``app.state.holder``. If an artifact cannot be loaded
the app still starts and ``/api/health`` answers 503 with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import install_error_handlers
from api.limits import BodySizeLimit
from api.routes import ROUTERS
from api.settings import Settings, get_settings
from api.state import ServiceHolder, ServiceState, close_state, load_state

log = logging.getLogger("jixiao.api")

STATIC_DIR = Path(__file__).resolve().parent / "static"
MULTIPART_OVERHEAD = 64 * 1024  # headers and boundaries around an upload of max_upload_bytes
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

StateLoader = Callable[[Settings], ServiceState]


class SecurityHeaders:
    """Adds nosniff / referrer headers everywhere and a strict CSP to the web page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Swagger UI's and ReDoc's pages start with an inline script, which the strict CSP forbids.
        strict = not str(scope.get("path", "")).startswith(("/docs", "/redoc"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                if strict:
                    headers.setdefault("Content-Security-Policy", _CSP)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings | None = None, loader: StateLoader | None = None) -> FastAPI:
    """Build the app. ``loader`` (default ``load_state``) is what the lifespan calls once."""
    settings = settings or get_settings()
    load = loader or load_state

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = await anyio.to_thread.run_sync(load, settings)
        # A second lifespan of the same app (a test client inside another) must not
        # leave the first one holding the state it closes.
        previous = getattr(app.state, "holder", None)
        holder = app.state.holder = ServiceHolder(state)
        if state.ready:
            log.info("jixiao ready: generation %d", state.generation)
        else:
            log.warning("jixiao not ready: %s", "; ".join(state.problems))
        try:
            yield
        finally:
            close_state(holder.current)
            if previous is not None:
                app.state.holder = previous

    # FastAPIOffline serves Swagger UI (/docs) and ReDoc (/redoc) from assets in
    # its wheel instead of FastAPI's default CDN: the docs work offline too.
    app = FastAPIOffline(
        title="jixiao 绩效 API",
        summary="Search, similar projects and auto-tagging of 项目支出绩效目标表",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url="/redoc",
        static_url="/docs-assets",
    )
    app.state.settings = settings
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    def index_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes + MULTIPART_OVERHEAD)
    app.add_middleware(SecurityHeaders)
    return app
