"""``find_reuse``: every reuse signal of a corpus in one report."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from indexer.corpus import Corpus
from indexer.encoder.base import Encoder
from indexer.records import Project
from indexer.reuse.clusters import Item, cluster_items
from indexer.reuse.neardup import dup_key
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
from indexer.reuse.rules import (
    AMOUNT_MASKS,
    content_key,
    goal_key,
    goal_rule,
    name_rule,
    set_key,
    set_rule,
    set_text,
)
from indexer.reuse.themes import find_themes


def goal_items(projects: Sequence[Project], params: ReuseParams) -> list[Item]:
    """Every project goal long enough to count, as an item."""
    return [
        Item(project=p, text=p.goal, key=key)
        for p in projects
        if (key := goal_key(p.goal, params)) is not None
    ]


def name_items(projects: Sequence[Project]) -> list[Item]:
    """Every non-empty indicator name, as an item of its project."""
    return [
        Item(project=p, text=ind.name, key=dup_key(ind.name), ordinal=ind.ordinal)
        for p in projects
        for ind in p.indicators
        if dup_key(ind.name)
    ]


def set_items(projects: Sequence[Project], params: ReuseParams) -> list[Item]:
    """Every project's indicator set of at least ``min_set_size`` indicators, as an item."""
    return [
        Item(
            project=p, text=set_text(i.name for i in p.indicators), key=set_key(i.name for i in p.indicators)
        )
        for p in projects
        if len(p.indicators) >= params.min_set_size
    ]


def goal_clusters(projects: Sequence[Project], params: ReuseParams) -> list[Cluster]:
    """Clusters of exactly or nearly duplicated goal texts (≥ 2 projects each)."""
    return cluster_items(goal_items(projects, params), rule=goal_rule(params), params=params)


def name_clusters(projects: Sequence[Project], params: ReuseParams) -> list[Cluster]:
    """Clusters of reused indicator names (spanning ≥ 2 projects each)."""
    return cluster_items(name_items(projects), rule=name_rule(params), params=params)


def set_clusters(projects: Sequence[Project], params: ReuseParams) -> list[Cluster]:
    """Clusters of projects whose whole indicator sets (normalised names) are equal or nearly so."""
    return cluster_items(set_items(projects, params), rule=set_rule(params), params=params)


def amount_only_groups(projects: Sequence[Project], params: ReuseParams) -> list[AmountOnlyGroup]:
    """Projects identical in goal and indicators (names and values) that differ only in amounts,
    then those identical once every number is masked ("numbers_only")."""
    groups: list[AmountOnlyGroup] = []
    grouped: set[str] = set()
    for kind, mask in AMOUNT_MASKS:
        by_key: dict[tuple[str, ...], list[Project]] = defaultdict(list)
        for p in projects:
            if p.id not in grouped and goal_key(p.goal, params) is not None:
                by_key[content_key(p.goal, p.indicators, mask)].append(p)
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


@dataclass(frozen=True, slots=True)
class GroupTotals:
    """What a district or department holds: its projects and indicators."""

    n_projects: int
    n_indicators: int


def group_totals(projects: Iterable[Project], group_of: Callable[[Project], str]) -> dict[str, GroupTotals]:
    """Projects and indicators per group."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p in projects:
        c = counts[group_of(p)]
        c[0] += 1
        c[1] += len(p.indicators)
    return {g: GroupTotals(n, i) for g, (n, i) in counts.items()}


@dataclass(frozen=True, slots=True)
class ReusedCounts:
    """What of one group's projects and indicators the clusters take in."""

    goal: int = 0  # projects whose goal is in a goal cluster
    goal_cross_district: int = 0  # … in a goal cluster spanning districts
    boilerplate: int = 0  # indicators whose name is in a name cluster
    set_repeated: int = 0  # projects whose indicator set is in a set cluster


def reused_counts(
    group_of: Mapping[str, str], goals: Iterable[Cluster], names: Iterable[Cluster], sets: Iterable[Cluster]
) -> dict[str, ReusedCounts]:
    """Per group, the reused projects and indicators counted from the clusters' members (every
    member listed), ``group_of`` giving the group of each member's project id."""
    reused_goal: dict[str, set[str]] = defaultdict(set)
    cross_goal: dict[str, set[str]] = defaultdict(set)
    for c in goals:
        for m in c.members:
            reused_goal[group_of[m.project_id]].add(m.project_id)
            if c.crosses_districts:
                cross_goal[group_of[m.project_id]].add(m.project_id)
    boiler: dict[str, set[tuple[str, int | None]]] = defaultdict(set)
    for c in names:
        for m in c.members:
            boiler[group_of[m.project_id]].add((m.project_id, m.indicator_ordinal))
    in_set: dict[str, set[str]] = defaultdict(set)
    for c in sets:
        for m in c.members:
            in_set[group_of[m.project_id]].add(m.project_id)
    groups = reused_goal.keys() | boiler.keys() | in_set.keys()
    return {
        g: ReusedCounts(len(reused_goal[g]), len(cross_goal[g]), len(boiler[g]), len(in_set[g]))
        for g in groups
    }


def group_measures(
    totals: Mapping[str, GroupTotals], counts: Mapping[str, ReusedCounts]
) -> list[GroupMeasure]:
    """Per-group (district, department or year) measures: ``totals`` holds every group's
    projects and indicators, ``counts`` the reused ones (a group missing there has none)."""
    none = ReusedCounts()
    out = [
        GroupMeasure(
            group=group,
            n_projects=t.n_projects,
            n_goal_reused=counts.get(group, none).goal,
            n_goal_reused_cross_district=counts.get(group, none).goal_cross_district,
            n_indicators=t.n_indicators,
            n_indicators_boilerplate=counts.get(group, none).boilerplate,
            n_set_repeated=counts.get(group, none).set_repeated,
        )
        for group, t in totals.items()
    ]
    out.sort(key=lambda m: (-m.n_projects, m.group))
    return out


def measures(
    totals: Mapping[str, GroupTotals],
    group_of: Mapping[str, str],
    goals: Iterable[Cluster],
    names: Iterable[Cluster],
    sets: Iterable[Cluster],
) -> list[GroupMeasure]:
    """Per-group (district or department) shares of reused goals and boilerplate indicators,
    from clusters listing every member (see :func:`reused_counts`)."""
    return group_measures(totals, reused_counts(group_of, goals, names, sets))


def top_name_clusters(names: Sequence[Cluster], limit: int) -> list[Cluster]:
    """The ``limit`` indicator-name clusters spread over the most projects."""
    return sorted(names, key=lambda c: (-c.n_projects, -c.size, c.shared_text))[:limit]


def _member_texts(cluster: Cluster) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m.text for m in cluster.members))


def top_reused_names(
    names: Sequence[Cluster], limit: int, variants: Callable[[Cluster], tuple[str, ...]] = _member_texts
) -> list[ReusedName]:
    """The indicator-name clusters spread over the most projects; ``variants`` gives a cluster's
    distinct member texts in member order (by default from its listed members)."""
    return [
        ReusedName(
            name=c.shared_text,
            cluster_id=c.id,
            n_projects=c.n_projects,
            n_indicators=c.size,
            n_districts=len(c.districts),
            n_departments=len(c.departments),
            variants=variants(c),
        )
        for c in top_name_clusters(names, limit)
    ]


def _district(project: Project) -> str:
    return project.district


def _department(project: Project) -> str:
    return project.department


def year_group(project: Project) -> str:
    """The by-year group of a project: its budget year, or ``YEAR_UNKNOWN``."""
    return YEAR_UNKNOWN if project.budget_year is None else str(project.budget_year)


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

    def groups(group_of: Callable[[Project], str]) -> dict[str, str]:
        return {p.id: group_of(p) for p in projects}

    return ReuseReport(
        params=params,
        encoder_name=encoder.name,
        corpus_hash=corpus.content_hash,
        n_projects=len(projects),
        n_indicators=corpus.n_indicators,
        goal_clusters=tuple(goals),
        name_clusters=tuple(names),
        set_clusters=tuple(sets),
        by_district=tuple(measures(group_totals(projects, _district), groups(_district), goals, names, sets)),
        by_department=tuple(
            measures(group_totals(projects, _department), groups(_department), goals, names, sets)
        ),
        by_year=tuple(
            sorted(
                measures(group_totals(projects, year_group), groups(year_group), goals, names, sets),
                key=lambda m: m.group,
            )
        ),  # digits sort before 未知
        top_names=tuple(top_reused_names(names, params.top_names)),
        amount_only=tuple(amounts),
        themes=tuple(themes),
        theme_silhouette=silhouette,
        theme_k_scores=tuple(scores),
        map_points=tuple(points),
        timings=tuple(timings),
    )
