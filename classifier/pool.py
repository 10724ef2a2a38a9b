"""The training pool: every coded indicator the product has, deduplicated, conflicts resolved.

Three sources (``Example.source``):

* ``"corpus"`` — coded indicators of every ingested table (the seed tables and any
  table a user ingests, such as the national forms with their level-2 labels);
  group = the table;
* ``"library"`` — the indicator library (``classifier.library``); group =
  ``"library:<sector>"``, the unit held out by leave-one-sector-out evaluation;
* ``"knowledge"`` — the knowledge file's typical indicators (``classifier.dataset``).

The same normalised name may be filed under different codes. 14 and 41 are one
concept in two frameworks, so a name filed under both keeps both (the framework
decides at prediction time). Any other disagreement is resolved by
:func:`resolve_conflicts`: ``"majority"`` keeps the examples of the code most of
its examples carry and drops the name on a tie; ``"drop"`` drops every
conflicting name; ``"keep"`` keeps them all.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from classifier.core import ModelParams
from classifier.dataset import Example, knowledge_examples, name_key
from classifier.library import LibraryEntry, load_library

LIBRARY_PREFIX = "library:"
CONFLICT_POLICIES: tuple[str, ...] = ("majority", "drop", "keep")


def library_examples(entries: Sequence[LibraryEntry] | None = None) -> list[Example]:
    """The library as training examples (value = the printed value, group = ``library:<sector>``)."""
    rows = load_library() if entries is None else entries
    return [
        Example(
            name=e.name,
            value=e.printed_value,
            code=e.code,
            level1=e.level1,
            group=LIBRARY_PREFIX + e.sector,
            source="library",
        )
        for e in rows
    ]


def _concept(code: str) -> str:
    return "cost" if code in ("14", "41") else code


def resolve_conflicts(examples: Iterable[Example], policy: str = "majority") -> list[Example]:
    """``examples`` with repeated (name, code) pairs dropped and code conflicts resolved by ``policy``.

    Order is kept; the first example of each (name, code) pair wins.
    """
    if policy not in CONFLICT_POLICIES:
        raise ValueError(f"unknown conflict policy {policy!r}; expected one of {CONFLICT_POLICIES}")
    unique: list[Example] = []
    seen: set[tuple[str, str]] = set()
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for ex in examples:
        key = name_key(ex.name)
        votes[key][_concept(ex.code)] += 1
        if (key, ex.code) not in seen:
            seen.add((key, ex.code))
            unique.append(ex)
    if policy == "keep":
        return unique
    winners: dict[str, str | None] = {}
    for key, counts in votes.items():
        if len(counts) == 1:
            winners[key] = next(iter(counts))
            continue
        (first, n1), (_, n2) = counts.most_common(2)
        winners[key] = first if policy == "majority" and n1 > n2 else None
    return [ex for ex in unique if winners[name_key(ex.name)] == _concept(ex.code)]


def training_pool(
    corpus_rows: Sequence[Example],
    use_library: bool = True,
    use_knowledge: bool = True,
    keywords: bool = True,
    conflicts: str = "majority",
    library: Sequence[LibraryEntry] | None = None,
) -> list[Example]:
    """Corpus examples + library + knowledge file, deduplicated and conflicts resolved."""
    pool = list(corpus_rows)
    if use_library:
        pool += library_examples(library)
    if use_knowledge:
        pool += knowledge_examples(keywords=keywords)
    return resolve_conflicts(pool, conflicts)


def pool_of(corpus_rows: Sequence[Example], params: ModelParams) -> list[Example]:
    """The training pool ``params`` ask for, around ``corpus_rows`` (:func:`training_pool`)."""
    return training_pool(
        corpus_rows,
        use_library=params.use_library,
        use_knowledge=params.use_knowledge,
        keywords=params.knowledge_keywords,
        conflicts=params.conflicts,
    )
