"""``jixiao review``: check a drafted target table against the corpus (nothing is stored)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.settings import Settings, get_settings

if TYPE_CHECKING:
    from classifier.review import Reviewer, TableReview

_SEVERITY_MARK = {"error": "✗", "warning": "!", "info": "·"}


def load_reviewer(settings: Settings) -> Reviewer:
    """The review assistant over the built artifacts; a missing encoder, index or classifier
    only switches off the rules that need it (the report names them)."""
    from api.loaders import load_corpus, open_classifier, open_encoder, open_index, open_reviewer
    from indexer.errors import ArtifactError

    corpus = load_corpus(settings)
    encoder = index = classifier = None
    try:
        encoder = open_encoder(settings, num_threads=settings.encoder_threads)
        index = open_index(settings, corpus, encoder)
        classifier = open_classifier(settings, encoder)
    except (ArtifactError, OSError) as exc:
        typer.echo(f"warning: {exc}; the rules that need it are skipped", err=True)
    return open_reviewer(settings, corpus, encoder, index, classifier)


def render(review: TableReview) -> str:
    """Plain-text report: one block per project, one line per finding."""
    lines = [
        f"{review.file_name} ({review.layout}, {review.framework} framework): {len(review.projects)} projects"
    ]
    for skipped in review.skipped:
        lines.append(f"  skipped: {skipped}")
    for project in review.projects:
        lines.append(f"\n{project.project_name}  [{project.project_id}]")
        if not project.findings:
            lines.append("  no findings")
        for f in project.findings:
            where = f"#{f.ordinal} " if f.ordinal is not None else ""
            lines.append(f"  {_SEVERITY_MARK[f.severity]} {f.severity:7} {f.kind:20} {where}{f.message}")
            lines.append(f"      rule: {f.evidence.get('rule', '')}")
            for peer in f.evidence.get("peers", [])[:3]:
                value = f" {peer['value']}" if peer.get("value") else ""
                lines.append(
                    f"      peer: {peer['district']} {peer['project_name']}{value} [{peer['project_id']}]"
                )
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add ``review`` to the CLI."""

    @app.command("review")
    def review(
        file: Annotated[
            Path, typer.Argument(help="A drafted table (any ingestible format) or JSON projects.")
        ],
        as_json: Annotated[bool, typer.Option("--json", help="Print the review as JSON.")] = False,
        budget_year: Annotated[
            int | None, typer.Option("--year", help="Budget year: dates outside it are flagged.")
        ] = None,
    ) -> None:
        """Findings for every project of a draft, each with its rule and the peer projects it rests on."""
        from classifier.review.draft import parse_draft
        from indexer.ingest import read_input

        table = parse_draft(read_input(file).data, file.name)
        result = load_reviewer(get_settings()).review_table(table, budget_year)
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) if as_json else render(result))
