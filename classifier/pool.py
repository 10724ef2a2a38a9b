"""The training pool: every coded indicator the product has, deduplicated, conflicts resolved.

Three sources (``Example.source``):

* ``"corpus"`` — coded indicators of every ingested table (the seed tables and any
  table a user ingests, such as the national forms with their level-2 labels);
  group = the table;
* ``"library"`` — the indicator library (``classifier.library``); group =
  ``"library:<sector>"``, the unit held out by leave-one-sector-out evaluation;
* ``"knowledge"`` — the knowledge file's typical indicators (``classifier.dataset``);
* ``"real"`` — indicator rows transcribed from published real target/self-evaluation forms of
  many provinces and sectors (``classifier/data/real_forms.jsonl``, URL on every row, see
  ``classifier/data/REAL_FORMS.md``); group = ``"real:<source_id>"``. Names of the held-out
  external evaluation set were dropped from the file when it was written.

The same normalised name may be filed under different codes. 14 and 41 are one
concept in two frameworks, so a name filed under both keeps both (the framework
decides at prediction time). Any other disagreement is resolved by
:func:`resolve_conflicts`: ``"majority"`` keeps the examples of the code most of
its examples carry and drops the name on a tie; ``"drop"`` drops every
conflicting name; ``"keep"`` keeps them all.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources

from classifier import taxonomy
from classifier.core import ModelParams
from classifier.dataset import Example, clean_value, knowledge_examples, name_key
from classifier.library import LibraryEntry, load_library
from indexer.errors import ArtifactError

LIBRARY_PREFIX = "library:"
REAL_PREFIX = "real:"
REAL_FORMS_FILE = "data/real_forms.jsonl"
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


def _real_forms_text() -> str:
    return resources.files("classifier").joinpath(REAL_FORMS_FILE).read_text(encoding="utf-8")


def real_forms_hash() -> str:
    """sha256 of the real-form file (the classifier records it, so changed rows mean a retrain)."""
    return hashlib.sha256(_real_forms_text().encode("utf-8")).hexdigest()


def _real_form_rows() -> list[tuple[int, dict]]:
    """(line number, row) of every non-blank line of the real-form file; ``ArtifactError`` naming
    the file and line for one that is not a JSON object."""
    text = _real_forms_text()
    out: list[tuple[int, dict]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ArtifactError(f"classifier/{REAL_FORMS_FILE} line {number}: {exc}") from exc
        if not isinstance(row, dict):
            raise ArtifactError(f"classifier/{REAL_FORMS_FILE} line {number}: not an object")
        out.append((number, row))
    return out


@lru_cache(maxsize=1)
def real_form_examples() -> tuple[Example, ...]:
    """The transcribed real-form rows as examples (group ``real:<source_id>``, source ``"real"``).

    A malformed line raises ``ArtifactError`` naming the file and line.
    """
    out: list[Example] = []
    for number, row in _real_form_rows():
        try:
            code = str(row["code"])
            name, source_id = row["name"], row["source_id"]
        except KeyError as exc:
            raise ArtifactError(f"classifier/{REAL_FORMS_FILE} line {number}: missing {exc}") from exc
        if code not in taxonomy.BY_CODE or not isinstance(name, str) or not name.strip():
            raise ArtifactError(f"classifier/{REAL_FORMS_FILE} line {number}: bad code or name")
        out.append(
            Example(
                name=name,
                value=clean_value(row.get("value")),
                code=code,
                level1=taxonomy.level1_of(code),
                group=REAL_PREFIX + str(source_id),
                source="real",
            )
        )
    return tuple(out)


def real_form_provinces() -> dict[str, str]:
    """Province of each real-form group (``real:<source_id>`` → province as printed), for folds
    that hold whole provinces out."""
    rows = _real_form_rows()
    return {REAL_PREFIX + str(row.get("source_id")): str(row.get("province") or "") for _, row in rows}


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
    real_forms: Sequence[Example] | None = None,
) -> list[Example]:
    """Corpus examples + real forms + library + knowledge file, deduplicated and conflicts resolved.

    ``real_forms`` (e.g. ``real_form_examples()`` or a cross-validation fold of it) go right after
    the corpus rows, so on a repeated name they win the first-occurrence tie like the corpus does.
    """
    pool = list(corpus_rows) + list(real_forms or ())
    if use_library:
        pool += library_examples(library)
    if use_knowledge:
        pool += knowledge_examples(keywords=keywords)
    return resolve_conflicts(pool, conflicts)


def pool_of(
    corpus_rows: Sequence[Example], params: ModelParams, real_forms: Sequence[Example] | None = None
) -> list[Example]:
    """The training pool ``params`` ask for, around ``corpus_rows`` (:func:`training_pool`).

    With ``params.use_real_forms`` the real-form rows are added: ``real_forms`` when given (a
    cross-validation fold), else all of :func:`real_form_examples`.
    """
    real: Sequence[Example] = ()
    if params.use_real_forms:
        real = real_form_examples() if real_forms is None else real_forms
    return training_pool(
        corpus_rows,
        use_library=params.use_library,
        use_knowledge=params.use_knowledge,
        keywords=params.knowledge_keywords,
        conflicts=params.conflicts,
        real_forms=real,
    )
