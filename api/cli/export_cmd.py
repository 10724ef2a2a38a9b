"""``jixiao export``: the corpus (and its embeddings, when built) as Parquet for Spark and pandas."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.settings import get_settings


def register(app: typer.Typer) -> None:
    """Add the export command to the CLI."""

    @app.command("export")
    def export(
        parquet: Annotated[Path, typer.Option("--parquet", help="Output folder (must not exist yet).")],
        embeddings: Annotated[
            bool,
            typer.Option(
                "--embeddings/--no-embeddings", help="Add the search index's vectors when it is built."
            ),
        ] = True,
    ) -> None:
        """Write projects, indicators and embeddings as Parquet partitioned by district (+ schema.json)."""
        from api.loaders import load_corpus, open_encoder
        from indexer.errors import InvalidInputError, NotFoundError
        from indexer.parquet import export_parquet

        settings = get_settings()
        if parquet.exists():
            raise InvalidInputError(f"{parquet} already exists: give a new folder")
        corpus = load_corpus(settings, required=False)
        if len(corpus) == 0:
            raise NotFoundError(f"the corpus at {settings.db_path} is empty: run `jixiao ingest` first")
        vectors, encoder_name = None, None
        if embeddings and (settings.index_dir / "manifest.json").is_file():
            from indexer.search import stored_vectors

            encoder = open_encoder(settings)
            vectors, encoder_name = stored_vectors(settings.index_dir, encoder) or None, encoder.name
        manifest = export_parquet(corpus, parquet, vectors=vectors, encoder_name=encoder_name)
        typer.echo(
            f"wrote {parquet}: {manifest['n_projects']} projects, {manifest['n_indicators']} indicators, "
            f"{manifest['n_embeddings']} embeddings, partitioned by {', '.join(manifest['partitioning'])}"
        )
