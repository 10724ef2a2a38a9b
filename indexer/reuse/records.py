"""Frozen records of the reuse report: parameters, clusters, measures, themes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class ReuseParams:
    """Every threshold of the reuse detection (see :mod:`indexer.reuse` for why these values).

    Near-duplicates are found with MinHash/LSH on shingles and then *verified* on
    the exact shingle sets: a pair is a near-duplicate when its Jaccard
    similarity reaches ``*_jaccard`` or when the shorter text is contained in the
    longer one to at least ``containment`` (a goal that adds one clause to a
    shared goal), the shorter one has at least ``min_containment_shingles``
    shingles (so a short phrase is not "contained" in everything) and at least
    ``min_length_ratio`` of the longer one's (one shared clause of a long goal
    is not a near-duplicate of it).
    """

    goal_shingle: int = 3  # character n-gram size for goals
    goal_jaccard: float = 0.45
    containment: float = 0.9
    min_containment_shingles: int = 20
    min_length_ratio: float = 0.4  # containment counts only if the shorter has ≥ 40% of the longer's shingles
    min_goal_chars: int = 12  # shorter goals are ignored (e.g. "无")
    name_shingle: int = 2  # indicator names are short: bigrams
    name_jaccard: float = 0.7
    min_name_chars: int = 4
    set_jaccard: float = 0.8  # whole indicator sets, over their normalised names
    min_set_size: int = 2
    num_perm: int = 128
    lsh_threshold: float = 0.2  # candidate generation, below every verified pair's Jaccard (≥ 0.35)
    max_bucket_all_pairs: int = 60  # larger LSH buckets are verified against representatives
    max_representatives: int = 25
    max_diff_keys: int = 300  # per cluster, distinct member texts that get a diff
    json_max_members: int | None = 500  # members listed per cluster in reuse.json (`--max-members`)
    theme_k_min: int = 3
    theme_k_max: int = 12
    theme_max_projects: int = 1000  # themes/map on a deterministic sample beyond this (encoding cost)
    max_map_points: int = 4000
    top_names: int = 40
    seed: int = 0


@dataclass(frozen=True, slots=True)
class DiffSpan:
    """One differing span between a cluster's shared text and a member's text."""

    op: str  # "replace", "delete" (only in the shared text) or "insert" (only in the member)
    shared: str
    member: str


@dataclass(frozen=True, slots=True)
class Member:
    """A project in a cluster, with how its text differs from the cluster's shared text."""

    project_id: str
    project_name: str
    district: str
    department: str
    amount_total: Decimal | None
    text: str
    similarity: float  # to the shared text (Jaccard of shingles; 1.0 when identical)
    diff: tuple[DiffSpan, ...] | None = ()  # None: not computed (beyond max_diff_keys of a huge cluster)
    indicator_ordinal: int | None = None  # for indicator-name clusters


@dataclass(frozen=True, slots=True)
class Cluster:
    """A group of copy-pasted texts (goals, indicator names or indicator sets).

    ``members`` are the cluster's first members in report order: all of them from the local
    engine, at most ``ReuseParams.json_max_members`` from the Spark engine (whose executors write
    the complete membership files); ``size`` always counts them all.
    """

    id: str  # e.g. "goal-3"
    kind: str  # "goal", "indicator_name" or "indicator_set"
    exact: bool  # every member has the same normalised text
    shared_text: str  # the most frequent member text (the template)
    members: tuple[Member, ...]
    n_projects: int
    districts: tuple[str, ...]
    departments: tuple[str, ...]
    crosses_districts: bool
    min_similarity: float
    size: int  # members in all (projects; indicators for indicator-name clusters)

    @property
    def complete(self) -> bool:
        """Whether ``members`` lists every member."""
        return len(self.members) == self.size


YEAR_UNKNOWN = "未知"
"""The ``GroupMeasure.group`` of the projects whose budget year is unknown."""


@dataclass(frozen=True, slots=True)
class GroupMeasure:
    """Boilerplate measures of one district, department or budget year."""

    group: str
    n_projects: int
    n_goal_reused: int
    n_goal_reused_cross_district: int
    n_indicators: int
    n_indicators_boilerplate: int
    n_set_repeated: int

    @property
    def goal_reused_share(self) -> float:
        """Share of projects whose goal is in a goal cluster of ≥ 2 projects."""
        return self.n_goal_reused / self.n_projects if self.n_projects else 0.0

    @property
    def boilerplate_indicator_share(self) -> float:
        """Share of indicators whose name is in a name cluster spanning ≥ 2 projects."""
        return self.n_indicators_boilerplate / self.n_indicators if self.n_indicators else 0.0


@dataclass(frozen=True, slots=True)
class ReusedName:
    """A reused indicator name: its cluster and how widely it spreads."""

    name: str
    cluster_id: str
    n_projects: int
    n_indicators: int
    n_districts: int
    n_departments: int
    variants: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AmountOnlyGroup:
    """Projects with identical goal and indicators that differ only in amounts (or numbers)."""

    id: str
    kind: str  # "amounts_only" (texts identical) or "numbers_only" (identical once digits are masked)
    members: tuple[Member, ...]
    distinct_amounts: tuple[Decimal | None, ...]
    crosses_districts: bool


@dataclass(frozen=True, slots=True)
class Theme:
    """A cluster of projects on their embeddings, labelled by class-based TF-IDF keywords."""

    id: int
    label: str
    keywords: tuple[str, ...]
    n_projects: int
    example_projects: tuple[str, ...]
    amount_total: Decimal


@dataclass(frozen=True, slots=True)
class MapPoint:
    """A project on the 2-D theme map."""

    project_id: str
    project_name: str
    district: str
    theme: int
    x: float
    y: float


@dataclass(frozen=True)
class ReuseReport:
    """Everything the reuse report shows; see :func:`indexer.reuse.report_to_dict`."""

    params: ReuseParams
    encoder_name: str
    corpus_hash: str
    n_projects: int
    n_indicators: int
    goal_clusters: tuple[Cluster, ...]
    name_clusters: tuple[Cluster, ...]
    set_clusters: tuple[Cluster, ...]
    by_district: tuple[GroupMeasure, ...]
    by_department: tuple[GroupMeasure, ...]
    top_names: tuple[ReusedName, ...]
    amount_only: tuple[AmountOnlyGroup, ...]
    themes: tuple[Theme, ...]
    theme_silhouette: float | None
    theme_k_scores: tuple[tuple[int, float], ...]
    map_points: tuple[MapPoint, ...]
    timings: tuple[tuple[str, float], ...] = field(default=())
    by_year: tuple[GroupMeasure, ...] = field(default=())  # per budget year, by year; YEAR_UNKNOWN last
