"""``jixiao serve``: the web page and JSON API via uvicorn (one worker)."""

from __future__ import annotations

from typing import Annotated

import typer

from api.settings import get_settings


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the CLI."""

    @app.command("serve")
    def serve(
        host: Annotated[str | None, typer.Option(help="Bind address (default: settings.host).")] = None,
        port: Annotated[int | None, typer.Option(help="Port (default: settings.port, 8000).")] = None,
        log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    ) -> None:
        """Serve http://HOST:PORT/ (web page), /api/* (JSON) and /docs (OpenAPI)."""
        import uvicorn

        from api.app import create_app

        settings = get_settings()
        uvicorn.run(
            create_app(settings),
            host=host or settings.host,
            port=port or settings.port,
            workers=1,
            log_level=log_level,
            access_log=False,
        )
