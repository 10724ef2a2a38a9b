"""``benchmark``: the target values the same or similar indicators carry across the corpus.

Peers are the corpus' indicators whose name has character-bigram Jaccard ≥
``name_jaccard`` with the query (``PeerIndex``). Their numeric targets are
summarised per unit (most used unit first): count, median, quartiles, min and
max, overall, by district and by budget year; every peer is listed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from classifier.review.peers import Peer, PeerIndex, value_stats


@dataclass(frozen=True)
class UnitBenchmark:
    """The distribution of one unit's values."""

    unit: str | None
    overall: dict[str, Any]
    by_district: dict[str, dict[str, Any]]
    by_year: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Benchmark:
    """Everything known about one indicator name's target values."""

    name: str
    names: tuple[tuple[str, float, int], ...]  # matched name keys: (name, similarity, count)
    units: tuple[UnitBenchmark, ...]
    peers: tuple[Peer, ...]
    n_qualitative: int

    def to_dict(self, limit: int | None = None) -> dict[str, Any]:
        """JSON-ready form; ``limit`` caps the listed peers (the statistics use all)."""
        listed = self.peers if limit is None else self.peers[:limit]
        return {
            "name": self.name,
            "count": len(self.peers),
            "n_qualitative": self.n_qualitative,
            "names": [{"name": n, "similarity": round(s, 3), "count": c} for n, s, c in self.names],
            "units": [
                {"unit": u.unit, **u.overall, "by_district": u.by_district, "by_year": u.by_year}
                for u in self.units
            ],
            "list": [
                {
                    **p.to_dict(),
                    "budget_year": p.project.budget_year,
                    "number": p.number,
                    "unit": p.indicator.target.unit if p.indicator.target else None,
                    "comparator": p.indicator.target.comparator if p.indicator.target else None,
                }
                for p in listed
            ],
        }


def _grouped(peers: list[Peer], unit: str | None, key: Any) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[float]] = defaultdict(list)
    for p in peers:
        if p.number is not None:
            groups[str(key(p))].append(p.number)
    return {k: value_stats(v, unit).to_dict() for k, v in sorted(groups.items())}


def benchmark(peers: PeerIndex, name: str, name_jaccard: float) -> Benchmark:
    """The benchmark of ``name`` over the corpus (``InvalidInputError``-free: no peers → empty)."""
    found = peers.peers(name, name_jaccard)
    found.sort(key=lambda p: (-p.similarity, p.project.district, p.project.id, p.indicator.ordinal))
    counts = Counter(p.indicator.name for p in found)
    names = tuple(
        (n, max(p.similarity for p in found if p.indicator.name == n), c) for n, c in counts.most_common()
    )
    numeric = [p for p in found if p.number is not None]
    units = Counter(p.indicator.target.unit for p in numeric if p.indicator.target is not None)
    out = []
    for unit, _ in units.most_common():
        same = [p for p in numeric if p.indicator.target is not None and p.indicator.target.unit == unit]
        overall = value_stats([p.number for p in same if p.number is not None], unit).to_dict()
        out.append(
            UnitBenchmark(
                unit,
                overall,
                _grouped(same, unit, lambda p: p.project.district),
                _grouped(same, unit, lambda p: p.project.budget_year or "unknown"),
            )
        )
    return Benchmark(name, names, tuple(out), tuple(found), len(found) - len(numeric))
