"""``jixiao search`` and ``jixiao similar``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from api.settings import get_settings
from indexer.records import Evidence, Hit, SimilarHit
from indexer.text import display_width

if TYPE_CHECKING:
    from indexer.search import SearchIndex

EVIDENCE_CHARS = 48
NAME_CHARS = 28


def open_index(one_query: bool = False) -> SearchIndex:
    """Corpus → encoder → search index, as configured (``JIXIAO_*`` settings);
    ``one_query``: with the start-up tables, for a command that tokenises one query."""
    from api.loaders import load_corpus, open_encoder
    from api.loaders import open_index as load_index

    settings = get_settings()
    corpus = load_corpus(settings)
    return load_index(settings, corpus, open_encoder(settings, one_query=one_query))


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal columns (with …) and padded to it."""
    out, used = [], 0
    for ch in text:
        w = display_width(ch)
        if used + w > width - (1 if display_width(text) > width else 0):
            out.append("…")
            used += 1
            break
        out.append(ch)
        used += w
    return "".join(out) + " " * max(0, width - used)


def _marked(evidence: Evidence, limit: int = EVIDENCE_CHARS) -> str:
    """Evidence text around its first highlight, highlights in bold (plain when piped)."""
    text = evidence.text
    start = 0
    if evidence.highlights and evidence.highlights[0].start > limit // 2:
        start = evidence.highlights[0].start - limit // 4
    end = min(len(text), start + limit)
    parts: list[str] = ["…" if start else ""]
    cursor = start
    for h in evidence.highlights:
        if h.end <= start or h.start >= end:
            continue
        s, e = max(h.start, start), min(h.end, end)
        parts.append(text[cursor:s])
        parts.append(typer.style(f"[{text[s:e]}]", bold=True, fg=typer.colors.YELLOW))
        cursor = e
    parts.append(text[cursor:end])
    if end < len(text):
        parts.append("…")
    return "".join(parts)


def _kind(evidence: Evidence) -> str:
    if evidence.kind == "indicator" and evidence.level2_code:
        return f"指标{evidence.level2_code}"
    return {"name": "名称", "goal": "目标", "indicator": "指标"}.get(evidence.kind, evidence.kind)


def _rank(value: int | None) -> str:
    return "-" if value is None else str(value)


def render(hits: Sequence[Hit] | Sequence[SimilarHit], offset: int = 0) -> str:
    """A readable table: rank, score, side ranks, district, project, evidence.

    Search hits show their dense and BM25 ranks, similar projects their cosine and
    indicator-overlap ranks.
    """
    similar = bool(hits) and isinstance(hits[0], SimilarHit)
    sides = ("cos#", "jac#") if similar else ("dense#", "bm25#")
    district, project = _fit("区", 6), _fit("项目", NAME_CHARS)
    header = f"{'#':>3}  {'score':>7}  {sides[0]:>6} {sides[1]:>5}  {district}  {project}  依据"
    lines = [header, "-" * display_width(header)]
    for i, hit in enumerate(hits, offset + 1):
        if isinstance(hit, SimilarHit):
            first, second = hit.cosine_rank, hit.overlap_rank
        else:
            first, second = hit.dense_rank, hit.bm25_rank
        lines.append(
            f"{i:>3}  {hit.score:7.4f}  {_rank(first):>6} {_rank(second):>5}  "
            f"{_fit(hit.district, 6)}  {_fit(hit.project_name, NAME_CHARS)}  "
            f"{_kind(hit.evidence)}: {_marked(hit.evidence)}"
        )
        lines.append(f"{'':>3}  id {hit.project_id}  {hit.department}")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add the search commands to the CLI."""

    @app.command("search")
    def search(
        query: Annotated[str, typer.Argument(help="What to look for, e.g. 帮中小企业解决融资难.")],
        district: Annotated[str | None, typer.Option("--district", help="e.g. 南沙区 (or 南沙).")] = None,
        department: Annotated[str | None, typer.Option("--department", help="Substring of 部门.")] = None,
        code: Annotated[
            str | None, typer.Option("--code", help="Level-2 indicator code (13) or level-1 digit (1-4).")
        ] = None,
        level1: Annotated[str | None, typer.Option("--level1", help="产出, 效益, 满意度 or 成本.")] = None,
        min_amount: Annotated[float | None, typer.Option("--min-amount", help="Total ≥ this (万元).")] = None,
        max_amount: Annotated[float | None, typer.Option("--max-amount", help="Total ≤ this (万元).")] = None,
        year: Annotated[int | None, typer.Option("--year", help="Budget year, e.g. 2025.")] = None,
        province: Annotated[str | None, typer.Option("--province", help="e.g. 陕西省 (or 陕西).")] = None,
        city: Annotated[str | None, typer.Option("--city", help="e.g. 安康市 (or 安康).")] = None,
        county: Annotated[str | None, typer.Option("--county", help="e.g. 汉阴县.")] = None,
        k: Annotated[int, typer.Option("-k", "--limit", min=1, max=1000, help="Hits per page.")] = 10,
        offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many hits.")] = 0,
        as_json: Annotated[bool, typer.Option("--json", help='Print {"hits": [...]} as JSON.')] = False,
    ) -> None:
        """Hybrid (BM25 + dense) search over projects, with evidence and score breakdown."""
        from indexer.search import SearchQuery

        request = SearchQuery(
            text=query,
            district=district,
            department=department,
            code=code,
            level1=level1,
            min_amount=min_amount,
            max_amount=max_amount,
            year=year,
            province=province,
            city=city,
            county=county,
            limit=k,
            offset=offset,
        )
        request.validate()  # a bad filter is told before the index is opened (or found missing)
        page = open_index(one_query=True).search(request)
        if as_json:
            from api.schemas import SearchResponse

            payload = SearchResponse.of(query, page)
            typer.echo(json.dumps(payload.model_dump(mode="json"), ensure_ascii=False, indent=2))
            return
        typer.echo(f"{page.total} projects ranked; showing {len(page.hits)} from {page.offset + 1}")
        if page.hits:
            typer.echo(render(page.hits, page.offset))

    @app.command("similar")
    def similar(
        project_id: Annotated[str, typer.Argument(help="Project id (see `jixiao search`).")],
        k: Annotated[int, typer.Option("-k", "--limit", min=1, max=1000, help="How many.")] = 10,
        include_same_district: Annotated[
            bool, typer.Option("--include-same-district", help="Also list projects of its own district.")
        ] = False,
        year: Annotated[int | None, typer.Option("--year", help="Only projects of this budget year.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help='Print {"hits": [...]} as JSON.')] = False,
    ) -> None:
        """Projects of other districts most like this one (name, goal and indicator set)."""
        index = open_index()
        source = index.corpus.get(project_id)
        hits = index.similar(project_id, k=k, include_same_district=include_same_district, year=year)
        if as_json:
            from api.schemas import SimilarResponse

            payload = SimilarResponse.of(source, hits, include_same_district, year)
            typer.echo(json.dumps(payload.model_dump(mode="json"), ensure_ascii=False, indent=2))
            return
        typer.echo(f"like {source.name} ({source.district}, id {source.id}):")
        typer.echo(render(hits))
