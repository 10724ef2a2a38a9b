"""The rules both report engines apply: keys, shingles and verification of each kind of text.

One copy, imported by the local engine (:mod:`indexer.reuse.detect`) and shipped to
Spark's executors by the Spark engine (:mod:`indexer.reuse.spark`): every object here
is a module-level function or a frozen dataclass, so it pickles.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from indexer.reuse.neardup import Banding, Verifier, char_shingles, dup_key
from indexer.reuse.records import ReuseParams

_SET_SEP = "\x1f"
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True, slots=True)
class KindRule:
    """How one kind of text is compared: its shingles, the verification rule and how its
    candidate pairs are made (both engines)."""

    kind: str
    shingles: Callable[[str], frozenset[str]]
    verify: Callable[[frozenset[str], frozenset[str]], float | None]
    banding: Banding


@dataclass(frozen=True, slots=True)
class ShortExactOnly:
    """A verifier under which texts shorter than ``min_chars`` only ever match exactly."""

    verify: Verifier
    min_chars: int
    shingle: int

    def __call__(self, a: frozenset[str], b: frozenset[str]) -> float | None:
        """The pair's Jaccard when both are long enough and ``verify`` accepts them, else None."""
        if min(len(a), len(b)) + self.shingle - 1 < self.min_chars:
            return None
        return self.verify(a, b)


def set_names(key: str) -> frozenset[str]:
    """The normalised names an indicator-set key stands for."""
    return frozenset(key.split(_SET_SEP))


def _banding(params: ReuseParams) -> Banding:
    return Banding(params.lsh_threshold, params.max_bucket_all_pairs, params.max_representatives)


def goal_rule(params: ReuseParams) -> KindRule:
    """Goals: character shingles, Jaccard or containment."""
    verify = Verifier(
        params.goal_jaccard, params.containment, params.min_containment_shingles, params.min_length_ratio
    )
    return KindRule("goal", partial(char_shingles, k=params.goal_shingle), verify, _banding(params))


def name_rule(params: ReuseParams) -> KindRule:
    """Indicator names: character bigrams, Jaccard; very short names only match exactly."""
    verify = ShortExactOnly(Verifier(params.name_jaccard), params.min_name_chars, params.name_shingle)
    return KindRule("indicator_name", partial(char_shingles, k=params.name_shingle), verify, _banding(params))


def set_rule(params: ReuseParams) -> KindRule:
    """Whole indicator sets: the set of normalised names, Jaccard; candidates by star edges.

    Sets are verified on Jaccard alone (no containment), so no pair below ``set_jaccard`` can be
    accepted and the candidates are banded for half of it (0.4: 32 bands × 4 rows, where the
    shared 0.2 makes 28 × 2): a pair at ``set_jaccard`` 0.8 is never a candidate with
    probability (1 − 0.8⁴)³² ≈ 5·10⁻⁸. Sets are short (2–6 names mostly) and their names repeat
    across a corpus, so with 2-row bands every set shares buckets with every set that has its
    commonest names — Jaccard 0.25 pairs, never accepted, whose number per set grew with the
    corpus (56 → 81 → 110 a set at 1M → 2M → 5M synthetic indicators). Each key of a bucket is
    compared with the bucket's first key only (star edges, as MinHash-LSH deduplication on
    Spark makes them: the clusters are connected components, so a bucket's members need one
    path each, not every pair): at most one verification per key and band, however full the
    buckets get; a pair is still found in any band where one of the two, or a key both match,
    is first.
    """
    banding = Banding(params.set_jaccard / 2, max_bucket_all_pairs=1, max_representatives=1)
    return KindRule("indicator_set", set_names, Verifier(params.set_jaccard), banding)


def goal_key(goal: str, params: ReuseParams) -> str | None:
    """The duplicate key of a goal, None when too short to count (``无``)."""
    key = dup_key(goal)
    return key if len(key) >= params.min_goal_chars else None


def set_key(names: Iterable[str]) -> str:
    """The key of an indicator set: its distinct normalised names, sorted."""
    return _SET_SEP.join(sorted({dup_key(n) for n in names if dup_key(n)}))


def set_text(names: Iterable[str]) -> str:
    """The display text of an indicator set."""
    return "；".join(names)


def keep_digits(text: str) -> str:
    """The ``amounts_only`` mask: the text as is."""
    return text


def mask_digits(text: str) -> str:
    """The ``numbers_only`` mask: every number replaced by ``#``."""
    return _DIGITS.sub("#", text)


AMOUNT_MASKS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("amounts_only", keep_digits),
    ("numbers_only", mask_digits),
)


def content_key(goal: str, indicators: Iterable[Any], mask: Callable[[str], str]) -> tuple[str, ...]:
    """A project's goal and indicators (``ordinal``, ``name``, ``annual_value``, ``cycle_value``
    attributes), masked: equal keys mean projects that differ only in amounts (or numbers)."""
    parts = [mask(dup_key(goal))]
    parts += [
        f"{dup_key(i.name)}|{mask(dup_key(i.annual_value or ''))}|{mask(dup_key(i.cycle_value or ''))}"
        for i in sorted(indicators, key=lambda i: i.ordinal)
    ]
    return tuple(parts)
