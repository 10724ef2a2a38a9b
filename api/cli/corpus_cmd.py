"""``jixiao ingest`` and ``jixiao stats``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.settings import get_settings

if TYPE_CHECKING:
    from indexer.stats import CorpusStats, SubtotalCheck


def register(app: typer.Typer) -> None:
    """Add the corpus commands to the CLI."""

    @app.command("ingest")
    def ingest(
        files: Annotated[
            list[Path] | None, typer.Argument(help="Table files or folders (default: the data/raw/ tables).")
        ] = None,
        skip_bad: Annotated[
            bool, typer.Option("--skip-bad", help="Store the good files and list the bad ones.")
        ] = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Show what the files hold; write nothing.")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="With --dry-run: print JSON.")] = False,
    ) -> None:
        """Read tables (any format) and store them in one transaction: every file is read first, and
        when any is bad nothing is written and every bad one is named with the place in it."""
        from api.pipeline import ingest_step

        settings = get_settings()
        paths = _expand(files or [Path(settings.data_dir)])
        if dry_run:
            raise typer.Exit(_dry_run(paths, as_json))
        _, report = ingest_step(settings, paths, skip_bad=skip_bad)
        for exc in report.skipped:
            typer.echo(f"skipped    {exc}", err=True)
        for warning in report.warnings:
            typer.echo(f"warning    {warning}", err=True)
        for name in report.added:
            typer.echo(f"added      {name}")
        for name in report.replaced:
            typer.echo(f"replaced   {name}")
        for name in report.unchanged:
            typer.echo(f"unchanged  {name}")
        typer.echo(f"{report} -> {settings.db_path}")

    @app.command("stats")
    def stats(
        as_json: Annotated[bool, typer.Option("--json", help="Print the statistics as JSON.")] = False,
    ) -> None:
        """Corpus counts per file, district and level-2 code, and amounts against each table's 合计."""
        from api.loaders import load_corpus
        from indexer.stats import corpus_stats

        settings = get_settings()
        data = stats_json(corpus_stats(load_corpus(settings, required=False)), settings.db_path)
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        typer.echo(_render(data))


def _dry_run(paths: list[Path], as_json: bool) -> int:
    """Read every file and show what it holds; exit code 2 when any could not be read."""
    from indexer.errors import ParseError
    from indexer.ingest import read_path
    from indexer.preview import failure_dict, preview_dict, render_preview

    previews, failures = [], []
    for path in paths:
        try:
            previews.append(preview_dict(read_path(path)))
        except ParseError as exc:
            failures.append(exc)
    if as_json:
        data = {"files": previews, "failures": [failure_dict(exc) for exc in failures]}
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for preview in previews:
            typer.echo(render_preview(preview))
        for exc in failures:
            typer.echo(f"error: {exc}", err=True)
        typer.echo(f"dry run: {len(previews)} files readable, {len(failures)} not; nothing written")
    return 2 if failures else 0


def _expand(paths: list[Path]) -> list[Path]:
    """Files as given; a folder stands for the files directly inside it."""
    from indexer.errors import InvalidInputError

    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith(".")))
        elif p.is_file():
            out.append(p)
        else:
            raise InvalidInputError(f"no such file or folder: {p}")
    if not out:
        raise InvalidInputError(f"no table files in {', '.join(map(str, paths))}")
    return out


def _dec(value: object) -> str | None:
    return None if value is None else str(value)


def _check_json(check: SubtotalCheck) -> dict[str, Any]:
    return {
        "label": check.label,
        "line": check.line,
        "projects": check.projects,
        "amounts": {
            a.field: {
                "declared": _dec(a.declared),
                "computed": _dec(a.computed),
                "difference": str(a.difference),
            }
            for a in check.amounts
        },
    }


def stats_json(stats: CorpusStats, db_path: Path) -> dict[str, Any]:
    """The ``jixiao stats --json`` document (decimals as strings)."""
    from indexer.records import AMOUNT_FIELDS

    return {
        "db_path": str(db_path),
        "sources": len(stats.sources),
        "projects": stats.projects,
        "indicators": stats.indicators,
        "coded_indicators": stats.coded_indicators,
        "uncoded_indicators": stats.uncoded_indicators,
        "per_source": [
            {
                "file_name": s.source.file_name,
                "sha256": s.source.sha256,
                "layout": s.source.layout,
                "district": s.source.district,
                "department": s.source.department,
                "projects": s.projects,
                "indicators": s.indicators,
                "coded_indicators": s.coded_indicators,
                "amounts": {f: _dec(getattr(s.amounts, f)) for f in AMOUNT_FIELDS},
                "grand_total": _check_json(s.grand_total) if s.grand_total else None,
                "unit_subtotals": [_check_json(c) for c in s.unit_subtotals],
            }
            for s in stats.sources
        ],
        "per_district": {
            d.name: {"projects": d.projects, "indicators": d.indicators}
            for d in sorted(stats.districts, key=lambda d: d.name)
        },
        "per_level1": {level1 or "none": n for level1, n in stats.level1},
        "per_level2_code": {code or "none": n for code, n in stats.codes},
        "per_year": [
            {"year": y.year, "projects": y.projects, "indicators": y.indicators} for y in stats.years
        ],
        "per_region": [
            {
                "province": r.province,
                "city": r.city,
                "county": r.county,
                "projects": r.projects,
                "indicators": r.indicators,
            }
            for r in stats.regions
        ],
    }


def _render(data: dict[str, Any]) -> str:
    lines = [
        f"corpus {data['db_path']}: {data['sources']} tables, {data['projects']} projects, "
        f"{data['indicators']} indicators ({data['coded_indicators']} coded, "
        f"{data['uncoded_indicators']} uncoded)",
        "",
        "per source file:",
    ]
    for s in data["per_source"]:
        lines.append(
            f"  {s['file_name']:<28} {s['layout']:<11} {s['district']:<4} {s['projects']:>4} projects "
            f"{s['indicators']:>4} indicators ({s['coded_indicators']} coded)  {s['department']}"
        )
        checks = ([s["grand_total"]] if s["grand_total"] else []) + s["unit_subtotals"]
        for c in checks:
            for field, v in c["amounts"].items():
                lines.append(
                    f"      {c['label']}[{field}] line {c['line']}: declared {v['declared']}, "
                    f"projects sum {v['computed']}, difference {v['difference']}"
                )
        if not checks:
            lines.append("      (no 合计 row: amounts not checkable)")
    lines += ["", "per district:"]
    for d, v in data["per_district"].items():
        lines.append(f"  {d:<4} {v['projects']:>4} projects {v['indicators']:>5} indicators")
    lines += ["", "per level-1:"]
    lines += [f"  {k:<4} {v:>5}" for k, v in data["per_level1"].items()]
    lines += ["", "per level-2 code:"]
    lines += [f"  {k:<4} {v:>5}" for k, v in data["per_level2_code"].items()]
    lines += ["", "per budget year:"]
    lines += [f"  {y['year'] or '(unknown)':<9} {y['projects']:>4} projects" for y in data["per_year"]]
    lines += ["", "per region:"]
    for r in data["per_region"]:
        name = " ".join(v for v in (r["province"], r["city"], r["county"]) if v) or "(unknown)"
        lines.append(f"  {name:<16} {r['projects']:>4} projects {r['indicators']:>5} indicators")
    return "\n".join(lines)
