"""``recommend``: a proposed indicator set for a new project, from the projects most like it.

The ``candidates`` corpus projects most similar to the draft's name and goal
(the hybrid search index) vote for their indicators: each project weighs
``1 / sqrt(1 + rank)`` (flat enough that a name many similar projects use beats one
of the single most similar project) (``district_boost`` times that in the draft's own district),
indicators are grouped by name (punctuation and spaces aside) under their filed
level-2 code, and the best ``per_code`` names of each code are proposed with a
typical value — the median of the sources' numbers in their most common unit,
with their most common comparator, else the most common value text — and every
source (project id, name, district, the value it used). Every required level-2
code of the framework (``structure.REQUIRED_LEVEL2``, plus one 效益 and the 满意度
code) gets proposals; where the similar projects have none, the indicator library
(``library``) fills in, marked ``origin="library"``.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from classifier import taxonomy
from classifier.review.library import LibraryIndicator, library_matches
from classifier.review.peers import format_number
from classifier.review.structure import REQUIRED_LEVEL2
from indexer.records import Indicator, Project
from indexer.reuse.neardup import dup_key

DISTRICT_BOOST = 1.5
_COMPARATOR_TEXT = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": ""}


@dataclass(frozen=True)
class Proposal:
    """One proposed indicator."""

    code: str
    name: str
    value: str | None  # typical value, as a form prints it
    score: float  # summed weight of the projects using it
    origin: str  # "corpus" or "library"
    sources: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "code": self.code,
            "label": taxonomy.label(self.code),
            "level1": taxonomy.level1_of(self.code),
            "name": self.name,
            "value": self.value,
            "score": round(self.score, 4),
            "origin": self.origin,
            "n_sources": len(self.sources),
            "sources": list(self.sources),
        }


@dataclass(frozen=True)
class Recommendation:
    """The proposed indicator set of one draft."""

    name: str
    goal: str
    district: str | None
    framework: str
    proposals: tuple[Proposal, ...]
    neighbours: tuple[dict[str, Any], ...] = field(default=())

    def codes(self) -> list[str]:
        """The proposed level-2 codes, in order."""
        return list(dict.fromkeys(p.code for p in self.proposals))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (CLI ``--json`` and ``POST /api/recommend``)."""
        return {
            "name": self.name,
            "goal": self.goal,
            "district": self.district,
            "framework": self.framework,
            "codes": self.codes(),
            "proposals": [p.to_dict() for p in self.proposals],
            "neighbours": list(self.neighbours),
        }


def typical_value(indicators: Sequence[Indicator]) -> str | None:
    """Median number in the most common unit with the most common comparator, else the modal text."""
    numeric = [i.target for i in indicators if i.target is not None and i.target.number is not None]
    if numeric:
        unit = Counter(t.unit for t in numeric).most_common(1)[0][0]
        same = [t for t in numeric if t.unit == unit]
        comparator = Counter(t.comparator for t in same).most_common(1)[0][0]
        median = statistics.median(float(t.number) for t in same if t.number is not None)
        return f"{_COMPARATOR_TEXT.get(comparator or '=', '')}{format_number(median, unit)}"
    texts = [i.annual_value or i.cycle_value for i in indicators if i.annual_value or i.cycle_value]
    return Counter(texts).most_common(1)[0][0] if texts else None


def required_codes(framework: str, neighbour_codes: Counter[str]) -> list[str]:
    """产出's required codes, the 效益 code the neighbours use most (22 by default), 31, and 41 (2021)."""
    codes = list(REQUIRED_LEVEL2[framework]["产出"])
    benefit = [c for c, _ in neighbour_codes.most_common() if taxonomy.level1_of(c) == "效益"]
    codes.append(benefit[0] if benefit else "22")
    codes.append("31")
    codes += list(REQUIRED_LEVEL2[framework].get("成本", ()))
    return codes


def recommend(
    name: str,
    goal: str,
    neighbours: Sequence[Project],
    library: tuple[LibraryIndicator, ...],
    district: str | None = None,
    framework: str = "pre2021",
    per_code: int = 3,
    evidence_limit: int = 8,
) -> Recommendation:
    """The proposal for a draft named ``name`` with ``goal`` (``neighbours``: most similar first)."""
    score: dict[tuple[str, str], float] = defaultdict(float)
    members: dict[tuple[str, str], list[tuple[Project, Indicator]]] = defaultdict(list)
    code_weight: Counter[str] = Counter()
    for rank, project in enumerate(neighbours):
        weight = (1 + rank) ** -0.5 * (DISTRICT_BOOST if district and project.district == district else 1.0)
        seen: set[tuple[str, str]] = set()
        for ind in project.indicators:
            key = (ind.level2_code or "", dup_key(ind.name))
            if not key[0] or not key[1] or key in seen:
                continue
            seen.add(key)
            score[key] += weight
            members[key].append((project, ind))
        for code in {k[0] for k in seen}:
            code_weight[code] += weight
    required = required_codes(framework, code_weight)
    codes = required + [c for c, _ in code_weight.most_common() if c not in required]
    proposals: list[Proposal] = []
    text = f"{name} {goal}"
    for code in codes:
        ranked = sorted((k for k in score if k[0] == code), key=lambda k: (-score[k], k[1]))[:per_code]
        for key in ranked:
            used = members[key]
            sources = tuple(
                {
                    "project_id": p.id,
                    "project_name": p.name,
                    "district": p.district,
                    "budget_year": p.budget_year,
                    "value": i.annual_value or i.cycle_value,
                }
                for p, i in used[:evidence_limit]
            )
            display = Counter(i.name_raw for _, i in used).most_common(1)[0][0]
            proposals.append(
                Proposal(code, display, typical_value([i for _, i in used]), score[key], "corpus", sources)
            )
        if not ranked and code in required:
            for row, match in library_matches(library, text, code, per_code):
                source = (row.to_source(),)
                proposals.append(Proposal(code, row.name, row.printed_value, match, "library", source))
    refs = tuple(
        {"project_id": p.id, "project_name": p.name, "district": p.district, "rank": r + 1}
        for r, p in enumerate(neighbours[:evidence_limit])
    )
    return Recommendation(name, goal, district, framework, tuple(proposals), refs)
