"""``boilerplate``: a goal or an indicator set copied from other corpus projects.

The reuse engine's measures (``indexer.reuse``): goals are near-duplicates at
character-3-gram Jaccard ≥ ``goal_jaccard`` (exact copies after dropping
punctuation and spaces are found in the whole corpus through a dict; near copies
among the ``candidates`` most similar projects); indicator sets at Jaccard ≥
``set_jaccard`` over normalised names (sets of ≥ 2 indicators). Severity info:
templates are common and often intended, the reviewer decides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from classifier.review.config import ReviewConfig
from classifier.review.findings import Finding
from indexer.corpus import Corpus
from indexer.records import Project
from indexer.reuse.neardup import char_shingles, dup_key, jaccard

GOAL_SHINGLE = 3


def indicator_set(project: Project) -> frozenset[str]:
    """The project's normalised indicator names."""
    return frozenset(k for k in (dup_key(i.name) for i in project.indicators) if k)


class ReuseLookup:
    """Exact goal and indicator-set copies of a corpus, by key."""

    def __init__(self, corpus: Corpus) -> None:
        """Index ``corpus`` (lazily, on first use)."""
        self.corpus = corpus

    @cached_property
    def _goals(self) -> dict[str, list[Project]]:
        out: dict[str, list[Project]] = defaultdict(list)
        for p in self.corpus.projects:
            out[dup_key(p.goal)].append(p)
        return out

    @cached_property
    def _sets(self) -> dict[frozenset[str], list[Project]]:
        out: dict[frozenset[str], list[Project]] = defaultdict(list)
        for p in self.corpus.projects:
            out[indicator_set(p)].append(p)
        return out

    def same_goal(self, goal: str) -> list[Project]:
        """Projects whose goal is the same text (punctuation and spaces aside)."""
        return list(self._goals.get(dup_key(goal), ()))

    def same_set(self, names: frozenset[str]) -> list[Project]:
        """Projects with exactly this set of indicator names."""
        return list(self._sets.get(names, ()))


def _row(p: Project, similarity: float) -> dict[str, Any]:
    return {
        "project_id": p.id,
        "project_name": p.name,
        "district": p.district,
        "department": p.department,
        "similarity": round(similarity, 3),
    }


def copies(
    project: Project,
    exact: Sequence[Project],
    neighbours: Sequence[Project],
    similarity: Callable[[Project], float],
    threshold: float,
) -> list[tuple[Project, float]]:
    """Other projects that copy ``project``: the ``exact`` ones (similarity 1.0) and the
    ``neighbours`` at ``similarity`` ≥ ``threshold``; most similar first."""
    found = {p.id: (p, 1.0) for p in exact}
    for p in neighbours:
        if p.id not in found:
            sim = similarity(p)
            if sim >= threshold:
                found[p.id] = (p, sim)
    found.pop(project.id, None)
    return sorted(found.values(), key=lambda m: (-m[1], m[0].id))


def boilerplate_findings(
    project: Project, neighbours: Sequence[Project], lookup: ReuseLookup, config: ReviewConfig
) -> list[Finding]:
    """Findings for a goal and an indicator set shared with other projects."""
    checks = []
    goal_key = dup_key(project.goal)
    if len(goal_key) >= config.min_goal_chars:
        shingles = char_shingles(goal_key, GOAL_SHINGLE)
        ranked = copies(
            project,
            lookup.same_goal(project.goal),
            neighbours,
            lambda p: jaccard(shingles, char_shingles(dup_key(p.goal), GOAL_SHINGLE)),
            config.goal_jaccard,
        )
        if ranked:
            top = ranked[0][0]
            message = (
                f"绩效目标与{len(ranked)}个其他项目相同或高度相似（如“{top.name}”，{top.district}），"
                "请确认是否照搬。"
            )
            rule = f"goal character-3-gram Jaccard ≥ {config.goal_jaccard} (1.0 = same text)"
            checks.append(("goal", ranked, message, rule))
    names = indicator_set(project)
    if len(names) >= 2:
        ranked = copies(
            project,
            lookup.same_set(names),
            neighbours,
            lambda p: jaccard(names, indicator_set(p)),
            config.set_jaccard,
        )
        if ranked:
            message = (
                f"指标设置与{len(ranked)}个其他项目相同或几乎相同（如“{ranked[0][0].name}”），"
                "请确认指标是否贴合本项目。"
            )
            rule = f"indicator-name set Jaccard ≥ {config.set_jaccard} (1.0 = same set)"
            checks.append(("indicator_set", ranked, message, rule))
    return [
        Finding(
            "boilerplate",
            "info",
            message,
            evidence={
                "rule": rule,
                "what": what,
                "peers": [_row(p, s) for p, s in ranked[: config.evidence_limit]],
            },
        )
        for what, ranked, message, rule in checks
    ]
