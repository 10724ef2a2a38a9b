"""BM25 over jieba tokens, one document per project (``bm25s``; rebuilt from the corpus on load).

A project's lexical document is its name (twice: a name match is worth more
than a word deep in a goal), its goal and its indicator names.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from indexer.corpus import Corpus
from indexer.records import Project
from indexer.tokenize import tokenize

NAME_REPEAT = 2


def project_tokens(project: Project, tokens_of: Callable[[str], list[str]] = tokenize) -> list[str]:
    """The BM25 tokens of one project (``tokens_of``: :func:`tokenize` or a memo of it)."""
    tokens = tokens_of(project.name) * NAME_REPEAT
    tokens += tokens_of(project.goal)
    for indicator in project.indicators:
        tokens += tokens_of(indicator.name)
    return tokens


def _memo(tokenizer: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    """``tokenizer`` run once per distinct text (indicator names repeat across thousands of projects)."""
    seen: dict[str, list[str]] = {}

    def tokens_of(text: str) -> list[str]:
        found = seen.get(text)
        if found is None:
            found = seen[text] = tokenizer(text)
        return found

    return tokens_of


def _quiet() -> None:
    logging.getLogger("bm25s").setLevel(logging.WARNING)


class LexicalIndex:
    """BM25 scores of projects for a tokenised query, plus token document frequencies."""

    def __init__(self, bm25: object, n_docs: int) -> None:
        self._bm25 = bm25
        self.n_docs = n_docs
        vocab: dict[str, int] = bm25.vocab_dict  # type: ignore[attr-defined]
        self._vocab = vocab
        indptr = np.asarray(bm25.scores["indptr"])  # type: ignore[attr-defined]
        df = np.diff(indptr).astype(np.float64)
        # BM25's own idf form, reused to weigh query tokens when choosing evidence.
        self._idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        self._unknown_idf = float(np.log1p((n_docs + 0.5) / 0.5))

    @classmethod
    def build(cls, corpus: Corpus) -> LexicalIndex:
        """Index every project of ``corpus``."""
        import bm25s

        _quiet()
        bm25 = bm25s.BM25()
        tokens_of = _memo(tokenize)
        docs = [project_tokens(p, tokens_of) for p in corpus.projects]
        bm25.index(docs, show_progress=False)
        return cls(bm25, len(docs))

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every project (0 where no token matches)."""
        ids = [self._vocab[t] for t in tokens if t in self._vocab]
        if not ids:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(ids), dtype=np.float32)  # type: ignore[attr-defined]

    def idf(self, token: str) -> float:
        """Inverse document frequency of ``token`` (high for unseen tokens)."""
        index = self._vocab.get(token)
        return self._unknown_idf if index is None or index >= self._idf.size else float(self._idf[index])
