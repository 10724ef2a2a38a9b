"""Training data for the indicator classifier.

Two sources, kept apart so evaluation can measure each:

* ``"corpus"`` — the coded indicators of the corpus (those with a level-2 code),
  deduplicated: the same normalised name filed under the same code counts once.
  Each example's ``group`` is its source table (one table = one district), the
  unit held out by leave-one-district-out evaluation.
* ``"knowledge"`` — the typical indicators of ``classifier/data/knowledge.json``,
  written from the official category definitions (group ``"knowledge"``);
  optionally also each code's keywords as bare names (``knowledge_examples(keywords=True)``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from classifier import taxonomy
from indexer.corpus import Corpus
from indexer.errors import ArtifactError
from indexer.text import fold_width_case_strip_punctuation

KNOWLEDGE_GROUP = "knowledge"
_EMPTY_VALUES = {"", "无", "-", "—", "/", "／", "null", "none"}


@dataclass(frozen=True, slots=True)
class Example:
    """One training example: an indicator name, its target value, its code."""

    name: str
    value: str | None
    code: str
    level1: str
    group: str  # source table file name, or "knowledge"
    source: str  # "corpus" or "knowledge"


def name_key(name: str) -> str:
    """Deduplication key of an indicator name (``indexer.text.fold_width_case_strip_punctuation``)."""
    return fold_width_case_strip_punctuation(name)


def clean_value(value: str | None) -> str | None:
    """The target value as model input; ``None`` for blanks such as ``无``."""
    if value is None:
        return None
    text = value.strip()
    return None if text.lower() in _EMPTY_VALUES else text


def corpus_examples(corpus: Corpus, per_table: bool = False) -> list[Example]:
    """Coded indicators of the corpus, one per (normalised name, code) pair.

    The first occurrence in corpus order wins (its table is the group); with
    ``per_table`` the pair is deduplicated within each table only (the test
    sets of leave-one-district-out). Names filed under different codes are
    kept once per code: that disagreement is real and the model must live with it.
    """
    seen: set[tuple[str, ...]] = set()
    out: list[Example] = []
    for project in corpus.projects:
        for ind in project.indicators:
            if not ind.level2_code or ind.level2_code not in taxonomy.BY_CODE:
                continue
            key: tuple[str, ...] = (name_key(ind.name), ind.level2_code)
            if per_table:
                key += (project.source_file,)
            if not key[0] or key in seen:
                continue
            seen.add(key)
            value = clean_value(ind.annual_value) or clean_value(ind.cycle_value)
            out.append(
                Example(
                    name=ind.name,
                    value=value,
                    code=ind.level2_code,
                    level1=taxonomy.level1_of(ind.level2_code),
                    group=project.source_file,
                    source="corpus",
                )
            )
    return out


@lru_cache(maxsize=1)
def load_knowledge() -> dict[str, Any]:
    """The parsed knowledge file (definitions, keywords, examples per code)."""
    try:
        text = resources.files("classifier").joinpath("data/knowledge.json").read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"classifier/data/knowledge.json unreadable: {exc}") from exc
    codes = data.get("codes", {})
    missing = set(taxonomy.CODES) - set(codes)
    if missing:
        raise ArtifactError(f"classifier/data/knowledge.json lacks codes {sorted(missing)}")
    return data


def knowledge_examples(keywords: bool = False) -> list[Example]:
    """The knowledge file's typical indicators (+ each keyword as a bare name if ``keywords``)."""
    out: list[Example] = []
    for code, entry in load_knowledge()["codes"].items():
        pairs = [tuple(pair) for pair in entry["examples"]]
        if keywords:
            pairs += [(word, None) for word in entry.get("keywords", [])]
        for name, value in pairs:
            out.append(
                Example(
                    name=name,
                    value=clean_value(value),
                    code=code,
                    level1=taxonomy.level1_of(code),
                    group=KNOWLEDGE_GROUP,
                    source="knowledge",
                )
            )
    return out


def training_examples(corpus: Corpus, use_knowledge: bool = True, keywords: bool = False) -> list[Example]:
    """Corpus examples, plus knowledge examples unless ``use_knowledge`` is False.

    ``keywords`` adds each knowledge keyword as a name-only example.
    """
    examples = corpus_examples(corpus)
    if use_knowledge:
        examples += knowledge_examples(keywords=keywords)
    return examples


def data_hash(examples: list[Example]) -> str:
    """sha256 over the training examples (order-sensitive): recorded in the manifest."""
    digest = hashlib.sha256()
    for ex in examples:
        digest.update("\x1f".join((ex.name, ex.value or "", ex.code, ex.group, ex.source)).encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()


def class_counts(examples: list[Example]) -> dict[str, int]:
    """Number of examples per code, in taxonomy order."""
    counts = Counter(ex.code for ex in examples)
    return {code: counts.get(code, 0) for code in taxonomy.CODES}
