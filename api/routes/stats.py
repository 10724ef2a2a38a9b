"""``GET /api/stats`` (corpus counts) and ``GET /api/taxonomy`` (the code list)."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

from fastapi import APIRouter

from api.deps import HolderDep, StateDep
from api.schemas import (
    CodeCountOut,
    CountOut,
    ErrorResponse,
    SourceOut,
    StatsResponse,
    TaxonomyCodeOut,
    TaxonomyResponse,
)
from indexer.corpus import Corpus

router = APIRouter(tags=["corpus"])


def _counts(corpus: Corpus, key: str) -> list[CountOut]:
    projects: Counter[str] = Counter()
    indicators: Counter[str] = Counter()
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    for p in corpus.projects:
        name = getattr(p, key)
        projects[name] += 1
        indicators[name] += len(p.indicators)
        if p.amounts.total is not None:
            amounts[name] += p.amounts.total
    return [
        CountOut(
            name=name,
            projects=n,
            indicators=indicators[name],
            amount_total=float(amounts[name]) if name in amounts else None,
        )
        for name, n in projects.most_common()
    ]


def corpus_stats(corpus: Corpus, generation: int) -> StatsResponse:
    """Counts per district, department, code and source table."""
    from classifier.taxonomy import BY_CODE

    codes: Counter[str | None] = Counter(i.level2_code for i in corpus.indicators())
    per_file: Counter[str] = Counter(p.source_file for p in corpus.projects)
    return StatsResponse(
        projects=len(corpus),
        indicators=corpus.n_indicators,
        corpus_hash=corpus.content_hash,
        generation=generation,
        districts=_counts(corpus, "district"),
        departments=_counts(corpus, "department"),
        codes=[
            CodeCountOut(
                code=code,
                label=BY_CODE[code].label if code in BY_CODE else None,
                level1=BY_CODE[code].level1 if code in BY_CODE else None,
                indicators=n,
            )
            for code, n in sorted(codes.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
        ],
        sources=[
            SourceOut(file_name=name, sha256=digest, projects=per_file.get(name, 0))
            for name, digest in corpus.source_hashes
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
    return holder.cached("stats", corpus.content_hash, lambda: corpus_stats(corpus, state.generation))


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
