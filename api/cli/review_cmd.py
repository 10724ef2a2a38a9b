"""``jixiao review``: check a drafted target table against the corpus (nothing is stored)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.settings import Settings, get_settings

if TYPE_CHECKING:
    from classifier.review import Reviewer, TableReview
    from classifier.review.benchmark import Benchmark
    from classifier.review.recommend import Recommendation

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
    """Add ``review``, ``recommend`` and ``benchmark`` to the CLI."""
    register_assistant(app)

    @app.command("review")
    def review(
        file: Annotated[
            Path, typer.Argument(help="A drafted table (any ingestible format) or JSON projects.")
        ],
        as_json: Annotated[bool, typer.Option("--json", help="Print the review as JSON.")] = False,
        budget_year: Annotated[
            int | None, typer.Option("--year", help="Budget year: dates outside it are flagged.")
        ] = None,
        export: Annotated[
            Path | None, typer.Option("--export", help="Also write the findings worklist (.xlsx or .csv).")
        ] = None,
    ) -> None:
        """Findings for every project of a draft, each with its rule and the peer projects it rests on."""
        from classifier.review.draft import parse_draft
        from indexer.ingest import read_input

        table = parse_draft(read_input(file).data, file.name)
        result = load_reviewer(get_settings()).review_table(table, budget_year)
        body = result.to_dict()
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2) if as_json else render(result))
        if export is not None:
            from api.export import export_bytes
            from classifier.review.findings import FINDING_COLUMNS, finding_rows
            from indexer.errors import InvalidInputError

            fmt = export.suffix.lower().lstrip(".")
            if fmt not in ("xlsx", "csv"):
                raise InvalidInputError(f"--export: {export.name}: give a .xlsx or .csv file name")
            rows = finding_rows(body["projects"])
            export.write_bytes(export_bytes(fmt, "审核意见", list(FINDING_COLUMNS), rows))
            typer.echo(f"{len(rows)} findings written to {export}", err=True)


def render_recommendation(rec: Recommendation) -> str:
    """Plain-text proposal: one line per indicator with its typical value and sources."""
    lines = [f"{rec.name}  ({rec.framework} framework; from {len(rec.neighbours)}+ similar projects)"]
    for p in rec.to_dict()["proposals"]:
        where = ", ".join(f"{s.get('district', s.get('sector', ''))}" for s in p["sources"][:3])
        lines.append(
            f"  {p['code']} {p['label']:8} {p['name']}  {p['value'] or '—'}  "
            f"[{p['origin']}: {p['n_sources']} sources: {where}]"
        )
    return "\n".join(lines)


def render_benchmark(bench: Benchmark) -> str:
    """Plain-text benchmark: the distribution per unit, by district and year."""
    d = bench.to_dict()
    lines = [f"{bench.name}: {d['count']} similar indicators ({d['n_qualitative']} without a number)"]
    for u in d["units"]:
        lines.append(
            f"  unit {u['unit'] or '—'}: n={u['count']} median {u['median']} "
            f"quartiles {u['q1']}–{u['q3']} range {u['min']}–{u['max']}"
        )
        for label, groups in (("district", u["by_district"]), ("year", u["by_year"])):
            for key, s in groups.items():
                lines.append(
                    f"    {label} {key}: n={s['count']} median {s['median']} q1–q3 {s['q1']}–{s['q3']}"
                )
    for row in d["list"][:20]:
        lines.append(f"  {row['district']} {row['project_name']}: {row['indicator']} = {row['value']}")
    return "\n".join(lines)


def register_assistant(app: typer.Typer) -> None:
    """Add ``recommend`` and ``benchmark`` to the CLI."""

    @app.command("recommend")
    def recommend_cmd(
        name: Annotated[str, typer.Argument(help="The new project's name.")],
        goal: Annotated[str, typer.Option("--goal", help="Its 绩效目标 text.")] = "",
        district: Annotated[
            str | None, typer.Option("--district", help="Its district (weighs its peers up).")
        ] = None,
        framework: Annotated[
            str, typer.Option("--framework", help="pre2021 or 2021 (成本 level-1).")
        ] = "pre2021",
        as_json: Annotated[bool, typer.Option("--json", help="Print the proposal as JSON.")] = False,
    ) -> None:
        """Propose an indicator set: per level-2 code, what the most similar projects use, with values."""
        from classifier.taxonomy import FRAMEWORKS
        from indexer.errors import InvalidInputError

        if framework not in FRAMEWORKS:
            raise InvalidInputError(f"--framework: one of {', '.join(FRAMEWORKS)}, got {framework!r}")
        rec = load_reviewer(get_settings()).recommend(name, goal, district, framework)
        typer.echo(
            json.dumps(rec.to_dict(), ensure_ascii=False, indent=2) if as_json else render_recommendation(rec)
        )

    @app.command("benchmark")
    def benchmark_cmd(
        name: Annotated[str, typer.Argument(help="An indicator name, e.g. 扶持企业满意度.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the benchmark as JSON.")] = False,
    ) -> None:
        """Target values of the same or similar indicators across the corpus, by district and year."""
        from api.loaders import load_corpus, open_reviewer

        settings = get_settings()
        bench = open_reviewer(settings, load_corpus(settings), None, None, None).benchmark(name)
        typer.echo(
            json.dumps(bench.to_dict(), ensure_ascii=False, indent=2) if as_json else render_benchmark(bench)
        )
