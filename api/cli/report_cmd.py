"""``jixiao report``: the boilerplate-reuse report (HTML + CSV/JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from indexer.settings import get_settings


def register(app: typer.Typer) -> None:
    """Add the report command to the CLI."""

    @app.command("report")
    def report(
        out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("reports"),
    ) -> None:
        """Find copy-pasted goals and indicator sets; write reuse.html, reuse.json and CSV tables."""
        from indexer.encoder import load_encoder
        from indexer.errors import NotFoundError
        from indexer.reuse import find_reuse, report_to_dict, write_report
        from indexer.store import CorpusStore

        settings = get_settings()
        corpus = CorpusStore(settings.db_path).load()
        if len(corpus) == 0:
            raise NotFoundError(f"the corpus at {settings.db_path} is empty: run `jixiao ingest` first")
        result = find_reuse(corpus, load_encoder(settings))
        path = write_report(result, out)
        summary = report_to_dict(result)["summary"]
        typer.echo(
            f"{summary['n_projects']} projects: {summary['n_goal_clusters']} goal clusters "
            f"({summary['n_projects_goal_reused']} projects, {summary['goal_reused_share']:.0%}), "
            f"{summary['n_set_clusters']} indicator-set clusters, "
            f"{summary['boilerplate_indicator_share']:.0%} boilerplate indicators, "
            f"{summary['n_themes']} themes"
        )
        typer.echo(f"wrote {path} (+ reuse.json, reuse_tables/*.csv)")
