"""Group texts of projects (goals, indicator names, indicator sets) into reuse clusters.

Texts are first collapsed to unique normalised keys (:func:`dup_key`), so exact
duplicates cost nothing; near-duplicates are then found among the unique keys
only and joined by connected components.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

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
            lsh_threshold=params.lsh_threshold,
            max_bucket_all_pairs=params.max_bucket_all_pairs,
            max_representatives=params.max_representatives,
            seed=params.seed,
        )
    labels = components(len(keys), list(edges))
    label_of = {key: int(label) for key, label in zip(keys, labels, strict=True)}
    return build_clusters(items, label_of, rule=rule, params=params)


def build_clusters(
    items: Sequence[Item], label_of: Mapping[str, int], *, rule: KindRule, params: ReuseParams
) -> list[Cluster]:
    """The clusters of ``items`` (in corpus order) whose keys ``label_of`` groups, keeping those
    that span at least two projects, largest first, with ids ``<kind>-<n>``.

    Shared by both report engines: the local one labels keys by connected components in
    memory, the Spark one by its distributed job (and passes only the items it kept).
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
        sets = {k: rule.shingles(k) for k in group_keys}
        clusters.append(_make_cluster(rule.kind, sets, members_items, params.max_diff_keys))
    clusters.sort(key=lambda c: (-c.n_projects, -c.size, c.shared_text))
    return [_with_id(c, f"{rule.kind}-{n}") for n, c in enumerate(clusters, 1)]


def _make_cluster(
    kind: str, set_of: Mapping[str, frozenset[str]], items: list[Item], max_diff_keys: int
) -> Cluster:
    counts = Counter(item.key for item in items)
    # The template is the most frequent text; ties go to the longest, then corpus order.
    shared_key = max(counts, key=lambda k: (counts[k], len(k)))
    shared_text = next(item.text for item in items if item.key == shared_key)
    # Similarity and diff depend only on the member's key: computed once per distinct key, and the
    # diff only for the first ``max_diff_keys`` keys of a huge cluster (None = not computed).
    similarity = {k: round(jaccard(set_of[shared_key], set_of[k]), 4) for k in counts}
    diffs: dict[str, tuple[DiffSpan, ...] | None] = {}
    for item in items:
        if item.key not in diffs:
            if item.key == shared_key:
                diffs[item.key] = ()
            elif len(diffs) <= max_diff_keys:
                diffs[item.key] = diff_spans(shared_text, item.text)
            else:
                diffs[item.key] = None
    members = tuple(
        Member(
            project_id=item.project.id,
            project_name=item.project.name,
            district=item.project.district,
            department=item.project.department,
            amount_total=item.project.amounts.total,
            text=item.text,
            similarity=similarity[item.key],
            diff=diffs[item.key],
            indicator_ordinal=item.ordinal,
        )
        for item in items
    )
    districts = tuple(sorted({m.district for m in members}))
    return Cluster(
        id="",
        kind=kind,
        exact=len(counts) == 1,
        shared_text=shared_text,
        members=members,
        n_projects=len({m.project_id for m in members}),
        districts=districts,
        departments=tuple(sorted({m.department for m in members})),
        crosses_districts=len(districts) > 1,
        min_similarity=min(m.similarity for m in members),
    )


def _with_id(cluster: Cluster, cluster_id: str) -> Cluster:
    return replace(cluster, id=cluster_id)
