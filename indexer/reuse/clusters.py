"""Group texts of projects (goals, indicator names, indicator sets) into reuse clusters.

Texts are first collapsed to unique normalised keys (:func:`dup_key`), so exact
duplicates cost nothing; near-duplicates are then found among the unique keys
only and joined by connected components.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from indexer.records import Project
from indexer.reuse.diff import diff_spans
from indexer.reuse.neardup import components, jaccard, near_duplicate_edges
from indexer.reuse.records import Cluster, DiffSpan, Member, ReuseParams
from indexer.reuse.rules import KindRule


@dataclass(frozen=True, slots=True)
class Item:
    """One text to cluster: a project's goal, one of its indicator names, or its indicator set."""

    project: Project
    text: str  # display text
    key: str  # normalised duplicate key
    ordinal: int | None = None


def cluster_items(
    items: Sequence[Item], *, rule: KindRule, params: ReuseParams, near: bool = True
) -> list[Cluster]:
    """Clusters of ``items`` spanning at least two projects, largest first.

    Items with the same key are exact duplicates; keys are joined when their
    shingle sets pass ``rule.verify`` (candidates from MinHash/LSH).
    """
    keys = list(dict.fromkeys(item.key for item in items))
    sets = [rule.shingles(k) for k in keys]
    edges: dict[tuple[int, int], float] = {}
    if near:
        edges = near_duplicate_edges(
            sets,
            rule.verify,
            num_perm=params.num_perm,
            lsh_threshold=rule.banding.threshold,
            max_bucket_all_pairs=rule.banding.max_bucket_all_pairs,
            max_representatives=rule.banding.max_representatives,
            seed=params.seed,
        )
    labels = components(len(keys), list(edges))
    label_of = {key: int(label) for key, label in zip(keys, labels, strict=True)}
    return build_clusters(items, label_of, rule=rule, params=params)


def build_clusters(
    items: Sequence[Item], label_of: Mapping[str, int], *, rule: KindRule, params: ReuseParams
) -> list[Cluster]:
    """The clusters of ``items`` (in corpus order) whose keys ``label_of`` groups, keeping those
    that span at least two projects, largest first, with ids ``<kind>-<n>``, every member listed.
    """
    by_key: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_key[item.key].append(item)
    groups: dict[int, list[str]] = defaultdict(list)
    for key in by_key:
        groups[label_of[key]].append(key)
    clusters: list[Cluster] = []
    for group_keys in groups.values():
        members_items = [item for k in group_keys for item in by_key[k]]
        if len({item.project.id for item in members_items}) < 2:
            continue
        clusters.append(_make_cluster(rule, members_items, params.max_diff_keys))
    return ranked_clusters(clusters, rule.kind)


def rank_order(clusters: Sequence[Cluster]) -> list[int]:
    """The positions of ``clusters`` largest first: projects, members, then shared text."""
    return sorted(
        range(len(clusters)),
        key=lambda i: (-clusters[i].n_projects, -clusters[i].size, clusters[i].shared_text),
    )


def ranked_clusters(clusters: Sequence[Cluster], kind: str) -> list[Cluster]:
    """``clusters`` largest first (:func:`rank_order`), with ids ``<kind>-<n>`` (both engines)."""
    return [replace(clusters[i], id=f"{kind}-{n}") for n, i in enumerate(rank_order(clusters), 1)]


@dataclass(frozen=True, slots=True)
class Listed:
    """A cluster member as the report lists it, before its similarity and diff are known."""

    project_id: str
    project_name: str
    district: str
    department: str
    amount_total: Decimal | None
    text: str
    key: str
    ordinal: int | None


@dataclass(frozen=True, slots=True)
class ClusterSummary:
    """What a cluster's header says, from all its members (the Spark engine aggregates it)."""

    exact: bool
    shared_text: str
    n_projects: int
    size: int
    districts: tuple[str, ...]
    departments: tuple[str, ...]
    min_similarity: float


def make_members(
    listed: Sequence[Listed],
    shared_key: str,
    shared_text: str,
    shingles: Callable[[str], frozenset[str]],
    max_diff_keys: int,
) -> tuple[Member, ...]:
    """``listed`` (a cluster's first members in report order: grouped by key, keys in order of
    first appearance) with their similarity to the shared text and their diff.

    Similarity and diff depend only on the member's key: computed once per distinct key (the
    diff from the key's first text), and the diff only for the first ``max_diff_keys`` keys of a
    huge cluster (None = not computed). A prefix of a cluster's members gets the same values as
    in the whole cluster, since a key's rank is decided by its first member.
    """
    shared_set = shingles(shared_key)
    similarity: dict[str, float] = {}
    diffs: dict[str, tuple[DiffSpan, ...] | None] = {}
    for x in listed:
        if x.key in diffs:
            continue
        similarity[x.key] = round(jaccard(shared_set, shingles(x.key)), 4)
        if x.key == shared_key:
            diffs[x.key] = ()
        elif len(diffs) <= max_diff_keys:
            diffs[x.key] = diff_spans(shared_text, x.text)
        else:
            diffs[x.key] = None
    return tuple(
        Member(
            project_id=x.project_id,
            project_name=x.project_name,
            district=x.district,
            department=x.department,
            amount_total=x.amount_total,
            text=x.text,
            similarity=similarity[x.key],
            diff=diffs[x.key],
            indicator_ordinal=x.ordinal,
        )
        for x in listed
    )


def summarised_cluster(kind: str, summary: ClusterSummary, members: tuple[Member, ...]) -> Cluster:
    """A cluster (id still empty) of ``summary`` listing ``members`` (all or the first ones)."""
    return Cluster(
        id="",
        kind=kind,
        exact=summary.exact,
        shared_text=summary.shared_text,
        members=members,
        n_projects=summary.n_projects,
        districts=summary.districts,
        departments=summary.departments,
        crosses_districts=len(summary.districts) > 1,
        min_similarity=summary.min_similarity,
        size=summary.size,
    )


def _make_cluster(rule: KindRule, items: list[Item], max_diff_keys: int) -> Cluster:
    counts = Counter(item.key for item in items)
    # The template is the most frequent text; ties go to the longest, then corpus order.
    shared_key = max(counts, key=lambda k: (counts[k], len(k)))
    shared_text = next(item.text for item in items if item.key == shared_key)
    listed = [
        Listed(
            project_id=i.project.id,
            project_name=i.project.name,
            district=i.project.district,
            department=i.project.department,
            amount_total=i.project.amounts.total,
            text=i.text,
            key=i.key,
            ordinal=i.ordinal,
        )
        for i in items
    ]
    members = make_members(listed, shared_key, shared_text, rule.shingles, max_diff_keys)
    summary = ClusterSummary(
        exact=len(counts) == 1,
        shared_text=shared_text,
        n_projects=len({m.project_id for m in members}),
        size=len(members),
        districts=tuple(sorted({m.district for m in members})),
        departments=tuple(sorted({m.department for m in members})),
        min_similarity=min(m.similarity for m in members),
    )
    return summarised_cluster(rule.kind, summary, members)
