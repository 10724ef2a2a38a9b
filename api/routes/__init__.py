"""HTTP routes, one module per concern; ``ROUTERS`` lists them for ``create_app``."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    assistant,
    classify,
    export,
    health,
    ingest,
    library,
    projects,
    reports,
    review,
    search,
    stats,
)

ROUTERS: tuple[APIRouter, ...] = (
    search.router,
    projects.router,
    classify.router,
    stats.router,
    health.router,
    ingest.router,
    reports.router,
    review.router,
    library.router,
    assistant.router,
    export.router,
)
