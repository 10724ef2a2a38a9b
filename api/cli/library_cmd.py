"""``jixiao library``: browse and search the indicator library (绩效指标库)."""

from __future__ import annotations

import json
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the library command to the CLI."""

    @app.command("library")
    def library_cmd(
        query: Annotated[str | None, typer.Argument(help="Words the indicator name must contain.")] = None,
        sector: Annotated[str | None, typer.Option("--sector", help="Sector, e.g. 教育 or 林草.")] = None,
        code: Annotated[str | None, typer.Option("--code", help="Level-2 code, e.g. 12.")] = None,
        limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many entries.")] = 50,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
        list_sectors: Annotated[bool, typer.Option("--sectors", help="List the sectors and counts.")] = False,
    ) -> None:
        """Typical indicators by sector and level-2 code, with a typical target value."""
        from classifier.library import load_library, search_library, sector_counts

        entries = load_library()
        if list_sectors:
            for s, n in sector_counts(entries).items():
                typer.echo(f"{s}\t{n}")
            return
        hits = search_library(entries, sector=sector, code=code, query=query)
        for e in hits[:limit]:
            if as_json:
                typer.echo(json.dumps(e.to_dict(), ensure_ascii=False))
            else:
                typer.echo(f"{e.code} {e.level2_label}\t{e.sector}\t{e.name}\t{e.printed_value}")
        if not as_json:
            typer.echo(
                f"{len(hits)} entries" + (f" (first {limit} shown)" if len(hits) > limit else ""), err=True
            )
