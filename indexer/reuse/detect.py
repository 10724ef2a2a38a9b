"""``find_reuse``: every reuse signal of a corpus in one report."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial

from indexer.corpus import Corpus
from indexer.encoder.base import Encoder
from indexer.records import Project
from indexer.reuse.clusters import Item, cluster_items
from indexer.reuse.neardup import Verifier, char_shingles, dup_key
from indexer.reuse.records import (
    YEAR_UNKNOWN,
    AmountOnlyGroup,
    Cluster,
    GroupMeasure,
    Member,
    ReusedName,
    ReuseParams,
    ReuseReport,
)
from indexer.reuse.themes import find_themes

_SET_SEP = "\x1f"
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def goal_clusters(projects: Sequence[Project], params: ReuseParams) -> list[Cluster]:
    """Clusters of exactly or nearly duplicated goal texts (≥ 2 projects each)."""
    items = [
        Item(project=p, text=p.goal, key=dup_key(p.goal))
        for p in projects
        if len(dup_key(p.goal)) >= params.min_goal_chars
    ]
    verify = Verifier(
        params.goal_jaccard, params.containment, params.min_containment_shingles, params.min_length_ratio
    )
    return cluster_items(
        items,
        kind="goal",
        shingles=partial(char_shingles, k=params.goal_shingle),
        verify=verify,
        params=params,
    )


def name_clusters(projects: Sequence[Project], params: ReuseParams) -> list[Cluster]:
    """Clusters of reused indicator names (spanning ≥ 2 projects each)."""
    items = [
        Item(project=p, text=ind.name, key=dup_key(ind.name), ordinal=ind.ordinal)
        for p in projects
        for ind in p.indicators
        if dup_key(ind.name)
    ]
    long_enough = Verifier(params.name_jaccard)

    def verify(a: frozenset[str], b: frozenset[str]) -> float | None:
        # Very short names (< min_name_chars) only ever match exactly.
        if min(len(a), len(b)) + params.name_shingle - 1 < params.min_name_chars:
            return None
        return long_enough(a, b)

    return cluster_items(
        items,
        kind="indicator_name",
        shingles=partial(char_shingles, k=params.name_shingle),
        verify=verify,
        params=params,
    )


def _set_key(project: Project) -> str:
    return _SET_SEP.join(sorted({dup_key(i.name) for i in project.indicators if dup_key(i.name)}))


def set_clusters(projects: Sequence[Project], params: ReuseParams) -> list[Cluster]:
    """Clusters of projects whose whole indicator sets (normalised names) are equal or nearly so."""
    items = [
        Item(project=p, text="；".join(i.name for i in p.indicators), key=_set_key(p))
        for p in projects
        if len(p.indicators) >= params.min_set_size
    ]

    def names(key: str) -> frozenset[str]:
        return frozenset(key.split(_SET_SEP))

    return cluster_items(
        items, kind="indicator_set", shingles=names, verify=Verifier(params.set_jaccard), params=params
    )


def _content_key(project: Project, mask: Callable[[str], str]) -> tuple[str, ...]:
    parts = [mask(dup_key(project.goal))]
    parts += [
        f"{dup_key(i.name)}|{mask(dup_key(i.annual_value or ''))}|{mask(dup_key(i.cycle_value or ''))}"
        for i in sorted(project.indicators, key=lambda i: i.ordinal)
    ]
    return tuple(parts)


def amount_only_groups(projects: Sequence[Project], params: ReuseParams) -> list[AmountOnlyGroup]:
    """Projects identical in goal and indicators (names and values) that differ only in amounts,
    then those identical once every number is masked ("numbers_only")."""
    groups: list[AmountOnlyGroup] = []
    grouped: set[str] = set()
    masks: list[tuple[str, Callable[[str], str]]] = [
        ("amounts_only", lambda s: s),
        ("numbers_only", lambda s: _DIGITS.sub("#", s)),
    ]
    for kind, mask in masks:
        by_key: dict[tuple[str, ...], list[Project]] = defaultdict(list)
        for p in projects:
            if p.id not in grouped and len(dup_key(p.goal)) >= params.min_goal_chars:
                by_key[_content_key(p, mask)].append(p)
        for members in by_key.values():
            if len(members) < 2:
                continue
            grouped.update(p.id for p in members)
            amounts = tuple(dict.fromkeys(p.amounts.total for p in members))
            groups.append(
                AmountOnlyGroup(
                    id="",
                    kind=kind,
                    members=tuple(_member(p) for p in members),
                    distinct_amounts=amounts,
                    crosses_districts=len({p.district for p in members}) > 1,
                )
            )
    groups.sort(key=lambda g: (g.kind != "amounts_only", -len(g.members)))
    return [
        AmountOnlyGroup(g.id or f"amounts-{n}", g.kind, g.members, g.distinct_amounts, g.crosses_districts)
        for n, g in enumerate(groups, 1)
    ]


def _member(p: Project) -> Member:
    return Member(
        project_id=p.id,
        project_name=p.name,
        district=p.district,
        department=p.department,
        amount_total=p.amounts.total,
        text=p.goal,
        similarity=1.0,
    )


def _year_group(project: Project) -> str:
    return YEAR_UNKNOWN if project.budget_year is None else str(project.budget_year)


def measures(
    projects: Sequence[Project],
    group_of: Callable[[Project], str],
    goals: Iterable[Cluster],
    names: Iterable[Cluster],
    sets: Iterable[Cluster],
) -> list[GroupMeasure]:
    """Per-group (district or department) shares of reused goals and boilerplate indicators."""
    reused_goal: set[str] = set()
    cross_goal: set[str] = set()
    for c in goals:
        reused_goal.update(m.project_id for m in c.members)
        if c.crosses_districts:
            cross_goal.update(m.project_id for m in c.members)
    boiler = {(m.project_id, m.indicator_ordinal) for c in names for m in c.members}
    in_set = {m.project_id for c in sets for m in c.members}
    by_group: dict[str, list[Project]] = defaultdict(list)
    for p in projects:
        by_group[group_of(p)].append(p)
    out = [
        GroupMeasure(
            group=group,
            n_projects=len(ps),
            n_goal_reused=sum(p.id in reused_goal for p in ps),
            n_goal_reused_cross_district=sum(p.id in cross_goal for p in ps),
            n_indicators=sum(len(p.indicators) for p in ps),
            n_indicators_boilerplate=sum((p.id, i.ordinal) in boiler for p in ps for i in p.indicators),
            n_set_repeated=sum(p.id in in_set for p in ps),
        )
        for group, ps in by_group.items()
    ]
    out.sort(key=lambda m: (-m.n_projects, m.group))
    return out


def top_reused_names(names: Sequence[Cluster], limit: int) -> list[ReusedName]:
    """The indicator-name clusters spread over the most projects."""
    ranked = sorted(names, key=lambda c: (-c.n_projects, -c.size, c.shared_text))[:limit]
    return [
        ReusedName(
            name=c.shared_text,
            cluster_id=c.id,
            n_projects=c.n_projects,
            n_indicators=c.size,
            n_districts=len(c.districts),
            n_departments=len(c.departments),
            variants=tuple(dict.fromkeys(m.text for m in c.members)),
        )
        for c in ranked
    ]


@contextmanager
def _timer(timings: list[tuple[str, float]], label: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    timings.append((label, round(time.perf_counter() - start, 3)))


def find_reuse(corpus: Corpus, encoder: Encoder, params: ReuseParams | None = None) -> ReuseReport:
    """Detect copy-pasted goals, indicator names and indicator sets, measure boilerplate per
    district, department and budget year, find amount-only duplicates and embedding themes.

    Thresholds are in ``params`` (defaults documented in :mod:`indexer.reuse`).
    """
    params = params or ReuseParams()
    projects = corpus.projects
    timings: list[tuple[str, float]] = []

    with _timer(timings, "goals"):
        goals = goal_clusters(projects, params)
    with _timer(timings, "indicator_names"):
        names = name_clusters(projects, params)
    with _timer(timings, "indicator_sets"):
        sets = set_clusters(projects, params)
    with _timer(timings, "amount_only"):
        amounts = amount_only_groups(projects, params)
    with _timer(timings, "themes"):
        themes, silhouette, scores, points = find_themes(projects, encoder, params)
    return ReuseReport(
        params=params,
        encoder_name=encoder.name,
        corpus_hash=corpus.content_hash,
        n_projects=len(projects),
        n_indicators=corpus.n_indicators,
        goal_clusters=tuple(goals),
        name_clusters=tuple(names),
        set_clusters=tuple(sets),
        by_district=tuple(measures(projects, lambda p: p.district, goals, names, sets)),
        by_department=tuple(measures(projects, lambda p: p.department, goals, names, sets)),
        by_year=tuple(
            sorted(measures(projects, _year_group, goals, names, sets), key=lambda m: m.group)
        ),  # digits sort before 未知
        top_names=tuple(top_reused_names(names, params.top_names)),
        amount_only=tuple(amounts),
        themes=tuple(themes),
        theme_silhouette=silhouette,
        theme_k_scores=tuple(scores),
        map_points=tuple(points),
        timings=tuple(timings),
    )
