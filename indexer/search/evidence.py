"""Why a project matched: its best document, with the matching terms highlighted."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from indexer.records import Evidence, Project
from indexer.search.documents import KINDS, Documents
from indexer.tokenize import highlight_spans

# How much a document containing every query term (idf-weighted) gains over
# one containing none: about the spread of E5 cosines between a good and a
# middling sentence, so lexical agreement decides between semantically close ones.
LEXICAL_BONUS = 0.1


def lexical_coverage(folded: str, tokens: Iterable[str], idf: Callable[[str], float]) -> float:
    """Share (idf-weighted) of the distinct ``tokens`` that occur in ``folded``
    (a text already passed through ``indexer.text.fold_width_case``)."""
    total = found = 0.0
    for token in set(tokens):
        weight = idf(token)
        total += weight
        if token in folded:
            found += weight
    return found / total if total > 0 else 0.0


def best_document(
    docs: Documents,
    start: int,
    end: int,
    tokens: list[str],
    idf: Callable[[str], float],
    doc_scores: np.ndarray | None,
) -> int:
    """The document in ``[start, end)`` with the best semantic score plus lexical bonus.

    ``doc_scores`` (similarity of each document in the range to the query) may
    be None when only the lexical side ran.
    """
    best, best_score = start, -np.inf
    folded = docs.folded_texts
    for offset, doc in enumerate(range(start, end)):
        score = LEXICAL_BONUS * lexical_coverage(folded[int(docs.text[doc])], tokens, idf) if tokens else 0.0
        if doc_scores is not None and np.isfinite(doc_scores[offset]):
            score += float(doc_scores[offset])
        if score > best_score:
            best, best_score = doc, score
    return best


def make_evidence(docs: Documents, doc: int, project: Project, highlight_tokens: list[str]) -> Evidence:
    """The ``Evidence`` record of document ``doc`` of ``project``."""
    text = docs.doc_text(doc)
    kind = KINDS[int(docs.kind[doc])]
    ordinal = code = None
    position = int(docs.indicator[doc])
    if position >= 0:
        indicator = project.indicators[position]
        ordinal, code = indicator.ordinal, indicator.level2_code
    return Evidence(
        kind=kind,
        text=text,
        highlights=highlight_spans(text, highlight_tokens),
        indicator_ordinal=ordinal,
        level2_code=code,
    )
