"""``jixiao report``: the boilerplate-reuse report (HTML + CSV/JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.settings import get_settings


def register(app: typer.Typer) -> None:
    """Add the report command to the CLI."""

    @app.command("report")
    def report(
        out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("reports"),
        engine: Annotated[
            str, typer.Option("--engine", help="local (in this process) or spark (a PySpark job).")
        ] = "local",
        master: Annotated[
            str | None, typer.Option("--master", help="Spark master URL (default local[2]).")
        ] = None,
        source: Annotated[
            Path | None,
            typer.Option(
                "--input", help="A `jixiao export --parquet` folder instead of the corpus database."
            ),
        ] = None,
        max_members: Annotated[
            int | None,
            typer.Option(
                "--max-members",
                min=1,
                help="Members listed per cluster in reuse.json, default 500 (the members CSVs list all).",
            ),
        ] = None,
    ) -> None:
        """Find copy-pasted goals and indicator sets; write reuse.html, reuse.json and CSV tables."""
        from api.loaders import load_corpus, open_encoder
        from indexer.errors import NotFoundError
        from indexer.reuse import ReuseParams, summary
        from indexer.reuse.engine import get_engine

        settings = get_settings()
        params = ReuseParams() if max_members is None else ReuseParams(json_max_members=max_members)
        report_engine = get_engine(engine, master)
        if source is None:
            corpus = load_corpus(settings, required=False)
            if len(corpus) == 0:
                raise NotFoundError(f"the corpus at {settings.db_path} is empty: run `jixiao ingest` first")
            result = report_engine.find_reuse(corpus, open_encoder(settings), params)
        else:
            from indexer.parquet import read_manifest_of

            read_manifest_of(source)  # a clear error before any engine starts
            result = report_engine.find_reuse(source, open_encoder(settings), params)
        path = report_engine.write_report(result, out)
        headline = summary(result)
        typer.echo(
            f"{headline['n_projects']} projects: {headline['n_goal_clusters']} goal clusters "
            f"({headline['n_projects_goal_reused']} projects, {headline['goal_reused_share']:.0%}), "
            f"{headline['n_set_clusters']} indicator-set clusters, "
            f"{headline['boilerplate_indicator_share']:.0%} boilerplate indicators, "
            f"{headline['n_themes']} themes"
        )
        typer.echo(f"wrote {path} (+ reuse.json, reuse_tables/*.csv)")
