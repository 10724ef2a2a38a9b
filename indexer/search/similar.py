"""Project-to-project similarity: a project vector from name, goal and
indicators, plus the idf-weighted Jaccard overlap of the indicator vocabularies
(weighted so that 满意度 or 及时率, which every project has, count for little)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from indexer.corpus import Corpus
from indexer.search.documents import KIND_GOAL, KIND_INDICATOR, KIND_NAME, Documents
from indexer.tokenize import tokenize

# Part weights of the project vector (each part is the mean of its documents).
PART_WEIGHTS: dict[int, float] = {KIND_NAME: 0.3, KIND_GOAL: 0.4, KIND_INDICATOR: 0.3}
# Final score = DENSE_SHARE · cosine + (1 − DENSE_SHARE) · weighted Jaccard.
DENSE_SHARE = 0.85


def project_vectors(docs: Documents, text_vectors: np.ndarray, n_projects: int) -> np.ndarray:
    """Normalised weighted mean of each project's name, goal-sentence and indicator vectors.

    The corpus mean is subtracted first: E5 vectors of one
    domain share a large common component (every project pair scores cosine
    0.95–0.98), and removing it lets the topic decide the neighbours
    (e.g. 商务会展专项经费 → 博览会 / 海交会 / 展览会 instead of generic 商务 projects).
    """
    dim = text_vectors.shape[1]
    out = np.zeros((n_projects, dim), dtype=np.float32)
    if len(text_vectors):
        text_vectors = text_vectors - text_vectors.mean(axis=0, keepdims=True)
    doc_vectors = text_vectors[docs.text]
    for kind, weight in PART_WEIGHTS.items():
        rows = docs.kind == kind
        sums = np.zeros((n_projects, dim), dtype=np.float32)
        np.add.at(sums, docs.project[rows], doc_vectors[rows])
        counts = np.bincount(docs.project[rows], minlength=n_projects).astype(np.float32)
        has = counts > 0
        out[has] += weight * sums[has] / counts[has, None]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms


def indicator_vocabularies(corpus: Corpus) -> list[frozenset[str]]:
    """The set of tokens of each project's indicator names."""
    cache: dict[str, list[str]] = {}
    out: list[frozenset[str]] = []
    for p in corpus.projects:
        tokens: set[str] = set()
        for ind in p.indicators:
            if ind.name not in cache:
                cache[ind.name] = tokenize(ind.name)
            tokens.update(cache[ind.name])
        out.append(frozenset(tokens))
    return out


def weighted_jaccard(a: frozenset[str], b: frozenset[str], weight: Callable[[str], float]) -> float:
    """Σ weight(a ∩ b) / Σ weight(a ∪ b) (0 for two empty sets)."""
    union = sum(weight(t) for t in a | b)
    return sum(weight(t) for t in a & b) / union if union > 0 else 0.0


@dataclass(frozen=True)
class SimilarityModel:
    """Precomputed project vectors and indicator vocabularies."""

    vectors: np.ndarray
    vocabularies: list[frozenset[str]]
    weight: Callable[[str], float]

    def scores(self, source: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(combined, cosine, jaccard)`` of every project against project ``source``."""
        cosine = self.vectors @ self.vectors[source]
        vocab = self.vocabularies[source]
        jac = np.array(
            [weighted_jaccard(vocab, other, self.weight) for other in self.vocabularies], dtype=np.float32
        )
        return DENSE_SHARE * cosine + (1 - DENSE_SHARE) * jac, cosine, jac
