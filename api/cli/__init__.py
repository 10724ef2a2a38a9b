"""The ``jixiao`` command line. Each concern registers its own commands."""

from __future__ import annotations

import logging

import click
import typer

from api.cli import (
    build_cmd,
    classify_cmd,
    corpus_cmd,
    export_cmd,
    library_cmd,
    report_cmd,
    review_cmd,
    search_cmd,
    serve_cmd,
)

app = typer.Typer(
    name="jixiao",
    help="Semantic search and classification of Chinese budget performance targets (项目支出绩效目标表).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

COMMANDS = (corpus_cmd, build_cmd, search_cmd, classify_cmd, library_cmd, report_cmd, review_cmd, serve_cmd)
for module in COMMANDS:
    module.register(app)
export_cmd.register(app)


EXIT_ERROR = 2
"""A domain error: bad input, a missing artifact …"""
EXIT_BUSY = 75
"""Another writer holds the corpus store: try again later (EX_TEMPFAIL of sysexits.h)."""


def _usage_errors() -> tuple[type[Exception], ...]:
    """Click's errors (a bad option, a missing argument …): click's own, and the copy of click
    that typer ≥ 0.25 bundles and raises instead (a private module: absent from older typer)."""
    try:
        from typer._click.exceptions import ClickException as TyperClickException
    except ImportError:
        return (click.exceptions.ClickException,)
    return (click.exceptions.ClickException, TyperClickException)


def main() -> None:
    """Console-script entry point: domain errors become one clear line and exit code 2
    (``EXIT_BUSY`` when another process is writing the corpus store)."""
    from indexer.errors import JixiaoError, StoreBusyError

    # faiss logs each loader attempt ("Loading faiss with AVX2 support." …) at INFO,
    # which every command that configures logging would print.
    logging.getLogger("faiss").setLevel(logging.WARNING)
    try:
        rc = app(standalone_mode=False)
    except JixiaoError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_BUSY if isinstance(exc, StoreBusyError) else EXIT_ERROR) from None
    except (click.exceptions.Abort, typer.Abort):
        typer.echo("aborted", err=True)
        raise SystemExit(130) from None
    except _usage_errors() as exc:
        exc.show()  # type: ignore[attr-defined]
        raise SystemExit(exc.exit_code) from None  # type: ignore[attr-defined]
    if isinstance(rc, int) and rc:
        raise SystemExit(rc)
