"""Peer indicators: the corpus' indicators with the same or a similar name, and their values.

``PeerIndex`` groups the corpus' indicators by name key (``indexer.reuse.dup_key``)
and finds similar names by character-bigram Jaccard through an inverted index
(one ``np.bincount`` over the postings of the query's bigrams), so a look-up
stays in milliseconds at 100,000 projects. When too few names are similar, the
indicators sharing the name's metric word (``及时率``, ``满意度`` …) are the peers.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

import numpy as np

from classifier.review.config import METRIC_HEADS
from indexer.corpus import Corpus
from indexer.records import Indicator, Project
from indexer.reuse.neardup import char_shingles, dup_key

HIGHER, LOWER = "higher", "lower"


def direction(comparator: str | None) -> str:
    """Which way a target points: ``≤``/``<`` ask for at most (lower), the rest at least."""
    return LOWER if comparator in ("<=", "<") else HIGHER


def metric_head(name: str) -> str | None:
    """The metric word an indicator name ends with (``资金拨付及时率`` → ``及时率``), if any."""
    key = dup_key(name)
    return next((h for h in METRIC_HEADS if key.endswith(h)), None)


@dataclass(frozen=True, slots=True)
class Peer:
    """One corpus indicator used as a reference value."""

    project: Project
    indicator: Indicator
    similarity: float  # name similarity to the query (1.0 = same name)

    @property
    def number(self) -> float | None:
        """The numeric target, when there is one."""
        t = self.indicator.target
        return float(t.number) if t is not None and t.number is not None else None

    def to_dict(self) -> dict[str, Any]:
        """Evidence form: which project, where, which value."""
        p, ind = self.project, self.indicator
        return {
            "project_id": p.id,
            "project_name": p.name,
            "district": p.district,
            "department": p.department,
            "ordinal": ind.ordinal,
            "indicator": ind.name,
            "code": ind.level2_code,
            "value": ind.annual_value or ind.cycle_value,
            "similarity": round(self.similarity, 3),
        }


@dataclass(frozen=True)
class ValueStats:
    """Distribution of peer values of one unit and direction."""

    unit: str | None
    count: int
    median: float
    q1: float
    q3: float
    minimum: float
    maximum: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "unit": self.unit,
            "count": self.count,
            "median": _num(self.median),
            "q1": _num(self.q1),
            "q3": _num(self.q3),
            "min": _num(self.minimum),
            "max": _num(self.maximum),
        }


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 4)


def value_stats(numbers: Sequence[float], unit: str | None) -> ValueStats:
    """Median and quartiles (inclusive method: quartiles stay within the data)."""
    values = sorted(numbers)
    if len(values) >= 2:
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    else:
        q1 = q3 = values[0]
    return ValueStats(unit, len(values), statistics.median(values), q1, q3, values[0], values[-1])


def format_number(number: Decimal | float | None, unit: str | None) -> str:
    """``95`` + ``%`` → ``95%`` (used in messages)."""
    if number is None:
        return "—"
    return f"{_num(float(number))}{unit or ''}"


class PeerIndex:
    """Every corpus indicator, findable by (similar) name or metric word."""

    def __init__(self, corpus: Corpus) -> None:
        """Index ``corpus``' indicator names (a few seconds at 100,000 projects)."""
        self.corpus = corpus
        groups: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for p, project in enumerate(corpus.projects):
            for i, ind in enumerate(project.indicators):
                key = dup_key(ind.name)
                if key:
                    groups[key].append((p, i))
        self.keys: list[str] = list(groups)
        self._members = [groups[k] for k in self.keys]
        self._key_id = {k: n for n, k in enumerate(self.keys)}
        postings: dict[str, list[int]] = defaultdict(list)
        sizes = np.zeros(len(self.keys), dtype=np.int32)
        for n, key in enumerate(self.keys):
            grams = char_shingles(key, 2)
            sizes[n] = len(grams)
            for gram in grams:
                postings[gram].append(n)
        self._postings = {g: np.asarray(ids, dtype=np.int32) for g, ids in postings.items()}
        self._sizes = sizes

    @cached_property
    def _by_head(self) -> dict[str, list[int]]:
        heads: dict[str, list[int]] = defaultdict(list)
        for n, key in enumerate(self.keys):
            head = metric_head(key)
            if head is not None:
                heads[head].append(n)
        return heads

    def _peers_of(self, ids: Sequence[int], sims: Sequence[float], limit: int | None = None) -> list[Peer]:
        """Peers of the name keys ``ids``; with ``limit``, an evenly spaced sample of each key's
        members in proportion to its size, at least one per key (about ``limit`` + the number of
        keys in all: distributions stay unbiased, cost stays bounded)."""
        projects = self.corpus.projects
        total = sum(len(self._members[n]) for n in ids)
        step = 1 if limit is None or total <= limit else total / limit
        out: list[Peer] = []
        for n, sim in zip(ids, sims, strict=True):
            members = self._members[n]
            picks = (
                members
                if step == 1
                else [members[int(k * step)] for k in range(int(len(members) / step) or 1)]
            )
            for p, i in picks:
                out.append(Peer(projects[p], projects[p].indicators[i], float(sim)))
        return out

    def similar_names(self, name: str, min_jaccard: float) -> list[tuple[str, float]]:
        """Corpus name keys with bigram Jaccard ≥ ``min_jaccard`` to ``name``, most similar first."""
        key = dup_key(name)
        grams = char_shingles(key, 2)
        lists = [self._postings[g] for g in grams if g in self._postings]
        if not lists:
            return []
        inter = np.bincount(np.concatenate(lists), minlength=len(self.keys))
        hit = np.flatnonzero(inter)
        jac = inter[hit] / (len(grams) + self._sizes[hit] - inter[hit])
        keep = jac >= min_jaccard
        order = np.lexsort((hit[keep], -jac[keep]))
        return [(self.keys[int(hit[keep][o])], float(jac[keep][o])) for o in order]

    def peers(
        self, name: str, min_jaccard: float, exclude_project: str | None = None, limit: int | None = None
    ) -> list[Peer]:
        """Indicators named like ``name`` (Jaccard ≥ ``min_jaccard``), most similar first
        (at most about ``limit``, sampled evenly)."""
        found = self.similar_names(name, min_jaccard)
        ids = [self._key_id[k] for k, _ in found]
        return [
            p for p in self._peers_of(ids, [s for _, s in found], limit) if p.project.id != exclude_project
        ]

    def head_peers(
        self, name: str, exclude_project: str | None = None, limit: int | None = None
    ) -> list[Peer]:
        """Indicators ending with the same metric word as ``name`` (none when it has none)."""
        head = metric_head(name)
        if head is None:
            return []
        ids = self._by_head.get(head, [])
        # Similarity 0: these are peers by metric word, not by name.
        return [p for p in self._peers_of(ids, [0.0] * len(ids), limit) if p.project.id != exclude_project]

    def reference(
        self,
        name: str,
        min_jaccard: float,
        min_peers: int,
        exclude_project: str | None = None,
        limit: int | None = None,
    ) -> tuple[list[Peer], str]:
        """The peers a value is judged against, and the tier they come from: ``name``
        (similar names) or, when those are fewer than ``min_peers``, ``metric`` (same metric word)."""
        by_name = self.peers(name, min_jaccard, exclude_project, limit)
        if len(by_name) >= min_peers:
            return by_name, "name"
        by_head = self.head_peers(name, exclude_project, limit)
        if len(by_head) > len(by_name):
            return by_head, "metric"
        return by_name, "name"


def numeric_peers(peers: Sequence[Peer], unit: str | None, way: str) -> list[Peer]:
    """Peers with a number in ``unit`` whose target points the same ``way``."""
    out = []
    for peer in peers:
        t = peer.indicator.target
        if t is None or t.number is None or t.unit != unit or direction(t.comparator) != way:
            continue
        out.append(peer)
    return out


def cite(peers: Sequence[Peer], limit: int) -> list[dict[str, Any]]:
    """Evidence rows of at most ``limit`` peers, one per project, most similar first."""
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    for peer in sorted(peers, key=lambda p: -p.similarity):
        if peer.project.id in seen:
            continue
        seen.add(peer.project.id)
        rows.append(peer.to_dict())
        if len(rows) >= limit:
            break
    return rows
