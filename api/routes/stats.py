"""``GET /api/stats`` (corpus counts) and ``GET /api/taxonomy`` (the code list)."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter

from api.deps import HolderDep, StateDep
from api.schemas import (
    CodeCountOut,
    CountOut,
    ErrorResponse,
    RegionCountOut,
    SourceOut,
    StatsResponse,
    TaxonomyCodeOut,
    TaxonomyResponse,
    YearCountOut,
)
from indexer.stats import CorpusStats, GroupCount, corpus_stats

router = APIRouter(tags=["corpus"])


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _counts(groups: tuple[GroupCount, ...]) -> list[CountOut]:
    return [
        CountOut(
            name=g.name,
            projects=g.projects,
            indicators=g.indicators,
            amount_total=None if g.amount_total is None else float(g.amount_total),
        )
        for g in groups
    ]


def stats_response(stats: CorpusStats, generation: int) -> StatsResponse:
    """The HTTP form of the corpus statistics: counts per district, department, code and table."""
    from classifier.taxonomy import BY_CODE

    return StatsResponse(
        projects=stats.projects,
        indicators=stats.indicators,
        corpus_hash=stats.corpus_hash,
        generation=generation,
        districts=_counts(stats.districts),
        departments=_counts(stats.departments),
        codes=[
            CodeCountOut(
                code=code,
                label=BY_CODE[code].label if code in BY_CODE else None,
                level1=BY_CODE[code].level1 if code in BY_CODE else None,
                indicators=n,
            )
            for code, n in stats.codes
        ],
        sources=[
            SourceOut(file_name=s.source.file_name, sha256=s.source.sha256, projects=s.projects)
            for s in stats.sources
        ],
        years=[
            YearCountOut(
                year=y.year, projects=y.projects, indicators=y.indicators, amount_total=_num(y.amount_total)
            )
            for y in stats.years
        ],
        regions=[
            RegionCountOut(
                province=r.province,
                city=r.city,
                county=r.county,
                projects=r.projects,
                indicators=r.indicators,
                amount_total=_num(r.amount_total),
            )
            for r in stats.regions
        ],
    )


@router.get(
    "/api/stats",
    response_model=StatsResponse,
    responses={503: {"model": ErrorResponse}},
    summary="Corpus counts per district, department, code and table",
)
def stats(state: StateDep, holder: HolderDep) -> StatsResponse:
    """Counts of the corpus the service currently answers from."""
    corpus = state.require_corpus()
    return holder.cached(
        "stats", corpus.content_hash, lambda: stats_response(corpus_stats(corpus), state.generation)
    )


@router.get("/api/taxonomy", response_model=TaxonomyResponse, summary="Level-1 names and level-2 codes")
def taxonomy() -> TaxonomyResponse:
    """Every level-2 indicator code with its label, level-1 and frameworks."""
    from classifier.taxonomy import CATEGORIES
    from indexer.records import LEVEL1_NAMES

    return TaxonomyResponse(
        level1=list(LEVEL1_NAMES),
        codes=[
            TaxonomyCodeOut(code=c.code, label=c.label, level1=c.level1, frameworks=list(c.frameworks))
            for c in CATEGORIES
        ],
    )
