"""BM25 over jieba tokens, one document per project (scores by ``bm25s``, stored with the index).

A project's lexical document is its name (twice: a name match is worth more
than a word deep in a goal), its goal and its indicator names. ``bm25s`` computes
every (token, project) score once, at build; the index artifact keeps that sparse
matrix (``lexical.npz``) so a command that opens the index neither tokenises the
corpus nor imports ``bm25s``: a query's scores are sums of stored rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from indexer.corpus import Corpus
from indexer.errors import ArtifactError, ArtifactMismatchError
from indexer.records import Project
from indexer.tokenize import tokenize

NAME_REPEAT = 2
LEXICAL_FILE = "lexical.npz"


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


class LexicalIndex:
    """BM25 scores of projects for a tokenised query, plus token document frequencies.

    ``data``/``indices``/``indptr``: the (token × project) BM25 score matrix in CSR
    form, one row per entry of ``vocab`` (token → row).
    """

    def __init__(
        self, vocab: dict[str, int], data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, n_docs: int
    ) -> None:
        self.n_docs = n_docs
        self._vocab = vocab
        self._data = np.asarray(data, dtype=np.float32)
        self._indices = np.asarray(indices, dtype=np.int64)
        self._indptr = np.asarray(indptr, dtype=np.int64)
        df = np.diff(self._indptr).astype(np.float64)
        # BM25's own idf form, reused to weigh query tokens when choosing evidence.
        self._idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        self._unknown_idf = float(np.log1p((n_docs + 0.5) / 0.5))

    @classmethod
    def build(cls, corpus: Corpus) -> LexicalIndex:
        """Index every project of ``corpus``."""
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        bm25 = bm25s.BM25()
        tokens_of = _memo(tokenize)
        docs = [project_tokens(p, tokens_of) for p in corpus.projects]
        bm25.index(docs, show_progress=False)
        scores = bm25.scores
        return cls(dict(bm25.vocab_dict), scores["data"], scores["indices"], scores["indptr"], len(docs))

    def save(self, directory: Path) -> None:
        """Write the score matrix to ``directory / LEXICAL_FILE`` (no pickle)."""
        rows = len(self._indptr) - 1
        # bm25s also numbers the empty token, past the last row; it never scores anything.
        tokens = sorted((t for t, i in self._vocab.items() if i < rows), key=self._vocab.__getitem__)
        if [self._vocab[t] for t in tokens] != list(range(rows)):
            raise ValueError("BM25 vocabulary ids are not the rows of the score matrix")
        np.savez(
            directory / LEXICAL_FILE,
            tokens=np.array(tokens, dtype=str),
            data=self._data,
            indices=self._indices.astype(np.int32),
            indptr=self._indptr,
            n_docs=np.int64(self.n_docs),
        )

    @classmethod
    def load(cls, directory: Path, n_docs: int) -> LexicalIndex:
        """The matrix :meth:`save` wrote, checked against ``n_docs`` projects."""
        path = directory / LEXICAL_FILE
        try:
            with np.load(path, allow_pickle=False) as stored:
                tokens, data, indices, indptr = (stored[k] for k in ("tokens", "data", "indices", "indptr"))
                stored_docs = int(stored["n_docs"])
        except (OSError, ValueError, KeyError) as exc:
            raise ArtifactError(f"{path}: unreadable: {exc}") from exc
        if stored_docs != n_docs:
            raise ArtifactMismatchError(str(path), "n_docs", n_docs, stored_docs)
        if indptr.shape != (len(tokens) + 1,) or len(data) != len(indices) or int(indptr[-1]) != len(data):
            found = f"indptr {indptr.shape}, data {data.shape}"
            raise ArtifactMismatchError(str(path), "shape", "one CSR row per token", found)
        if len(indices) and (int(indices.min()) < 0 or int(indices.max()) >= n_docs):
            raise ArtifactMismatchError(str(path), "indices", f"0..{n_docs - 1}", "out of range")
        return cls({str(t): i for i, t in enumerate(tokens.tolist())}, data, indices, indptr, n_docs)

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every project (0 where no token matches); a repeated token counts again."""
        out = np.zeros(self.n_docs, dtype=np.float32)
        for token in tokens:
            row = self._vocab.get(token)
            if row is not None:
                start, end = self._indptr[row], self._indptr[row + 1]
                out[self._indices[start:end]] += self._data[start:end]  # a row names each project once
        return out

    def idf(self, token: str) -> float:
        """Inverse document frequency of ``token`` (high for unseen tokens)."""
        index = self._vocab.get(token)
        return self._unknown_idf if index is None or index >= self._idf.size else float(self._idf[index])
