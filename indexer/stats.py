"""Corpus statistics: counts per source, district, department, code, budget year and region
(province / city / county), and every table's
amounts checked against its own 合计 and unit subtotal rows.

:func:`corpus_stats` is the one computation behind ``jixiao stats`` and ``GET /api/stats``;
each edge renders the frozen :class:`CorpusStats` in its own shape.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from indexer.corpus import Corpus
from indexer.records import AMOUNT_FIELDS, Amounts, Project, Source, Subtotal

K = TypeVar("K", bound=Hashable)


def sum_amounts(projects: Iterable[Project]) -> Amounts:
    """Field-wise sum of project amounts (a field is None when no project has it)."""
    sums: dict[str, Decimal | None] = dict.fromkeys(AMOUNT_FIELDS)
    for p in projects:
        for f in AMOUNT_FIELDS:
            v = getattr(p.amounts, f)
            if v is not None:
                sums[f] = (sums[f] or Decimal(0)) + v
    return Amounts(**sums)


@dataclass(frozen=True, slots=True)
class AmountCheck:
    """One amount field of a subtotal row against the sum of the projects it covers."""

    field: str  # one of AMOUNT_FIELDS
    declared: Decimal | None
    computed: Decimal | None

    @property
    def difference(self) -> Decimal:
        """``computed − declared`` (a missing side counts as 0)."""
        return (self.computed or Decimal(0)) - (self.declared or Decimal(0))


@dataclass(frozen=True, slots=True)
class SubtotalCheck:
    """A 合计 or unit subtotal row checked against its projects."""

    label: str
    line: int
    projects: int  # how many projects the row sums over
    amounts: tuple[AmountCheck, ...]  # fields that the row or its projects give


def check_subtotal(subtotal: Subtotal, projects: Sequence[Project]) -> SubtotalCheck:
    """A subtotal row against the sum of the projects it covers, per amount field."""
    wanted = set(subtotal.project_ids)
    computed = sum_amounts(p for p in projects if p.id in wanted)
    checks = tuple(
        AmountCheck(f, getattr(subtotal.amounts, f), getattr(computed, f))
        for f in AMOUNT_FIELDS
        if getattr(subtotal.amounts, f) is not None or getattr(computed, f) is not None
    )
    return SubtotalCheck(subtotal.label, subtotal.line, len(wanted), checks)


@dataclass(frozen=True, slots=True)
class SourceStats:
    """Counts and amount checks of one source table."""

    source: Source
    projects: int
    indicators: int
    coded_indicators: int
    amounts: Amounts  # sums over the table's projects
    grand_total: SubtotalCheck | None
    unit_subtotals: tuple[SubtotalCheck, ...]


@dataclass(frozen=True, slots=True)
class GroupCount:
    """Projects, indicators and total amount of one district or department."""

    name: str
    projects: int
    indicators: int
    amount_total: Decimal | None  # None when none of its projects gives a total


@dataclass(frozen=True, slots=True)
class YearCount:
    """Projects, indicators and total amount of one budget year (None: year unknown)."""

    year: int | None
    projects: int
    indicators: int
    amount_total: Decimal | None


@dataclass(frozen=True, slots=True)
class RegionCount:
    """Projects, indicators and total amount of one region (None where a level is unknown)."""

    province: str | None
    city: str | None
    county: str | None
    projects: int
    indicators: int
    amount_total: Decimal | None


@dataclass(frozen=True)
class CorpusStats:
    """Everything ``jixiao stats`` and ``/api/stats`` report about a corpus."""

    corpus_hash: str
    projects: int
    indicators: int
    coded_indicators: int
    sources: tuple[SourceStats, ...]  # by file name
    districts: tuple[GroupCount, ...]  # most projects first (ties: first seen in corpus order)
    departments: tuple[GroupCount, ...]  # likewise
    level1: tuple[tuple[str | None, int], ...]  # per level-1 name, by name; None (no category) last
    codes: tuple[tuple[str | None, int], ...]  # indicators per level-2 code, by code; None (no code) last
    years: tuple[YearCount, ...] = ()  # by year; None (unknown) last
    regions: tuple[RegionCount, ...] = ()  # most projects first (ties: first seen in corpus order)

    @property
    def uncoded_indicators(self) -> int:
        """Indicators without a level-2 code."""
        return self.indicators - self.coded_indicators


def _tally(
    projects: Sequence[Project], key: Callable[[Project], K]
) -> list[tuple[K, int, int, Decimal | None]]:
    """``(key, projects, indicators, amount total)`` per key, most projects first (ties: first seen)."""
    counts: Counter[K] = Counter()
    indicators: Counter[K] = Counter()
    amounts: dict[K, Decimal] = {}
    for p in projects:
        name = key(p)
        counts[name] += 1
        indicators[name] += len(p.indicators)
        if p.amounts.total is not None:
            amounts[name] = amounts.get(name, Decimal(0)) + p.amounts.total
    return [(n, c, indicators[n], amounts.get(n)) for n, c in counts.most_common()]


def _groups(projects: Sequence[Project], key: str) -> tuple[GroupCount, ...]:
    return tuple(GroupCount(*row) for row in _tally(projects, lambda p: getattr(p, key)))


def _years(projects: Sequence[Project]) -> tuple[YearCount, ...]:
    rows = _tally(projects, lambda p: p.budget_year)
    return tuple(YearCount(*row) for row in sorted(rows, key=lambda r: (r[0] is None, r[0] or 0)))


def _regions(projects: Sequence[Project]) -> tuple[RegionCount, ...]:
    rows = _tally(projects, lambda p: (p.province, p.city, p.county))
    return tuple(RegionCount(*region, *rest) for region, *rest in rows)


def _source_stats(source: Source, projects: Sequence[Project]) -> SourceStats:
    indicators = [i for p in projects for i in p.indicators]
    return SourceStats(
        source=source,
        projects=len(projects),
        indicators=len(indicators),
        coded_indicators=sum(1 for i in indicators if i.level2_code),
        amounts=sum_amounts(projects),
        grand_total=check_subtotal(source.grand_total, projects) if source.grand_total else None,
        unit_subtotals=tuple(check_subtotal(s, projects) for s in source.unit_subtotals),
    )


def _none_last(item: tuple[str | None, int]) -> tuple[bool, str]:
    return item[0] is None, item[0] or ""


def corpus_stats(corpus: Corpus) -> CorpusStats:
    """The statistics of ``corpus`` (its projects and the sources they came from)."""
    indicators = list(corpus.indicators())
    codes = Counter(i.level2_code or None for i in indicators)
    return CorpusStats(
        corpus_hash=corpus.content_hash,
        projects=len(corpus),
        indicators=len(indicators),
        coded_indicators=sum(1 for i in indicators if i.level2_code),
        sources=tuple(_source_stats(s, corpus.by_source.get(s.file_name, ())) for s in corpus.sources),
        districts=_groups(corpus.projects, "district"),
        departments=_groups(corpus.projects, "department"),
        level1=tuple(sorted(Counter(i.level1 for i in indicators).items(), key=_none_last)),
        codes=tuple(sorted(codes.items(), key=_none_last)),
        years=_years(corpus.projects),
        regions=_regions(corpus.projects),
    )
