"""Text analysis shared by the many fits of one evaluation or training run.

``jixiao build`` fits the classifier's features about thirty times (every outer fold of the
evaluation, every inner fold of each calibration, the final model), mostly on the same
indicator names and values. Each fit of a ``TfidfVectorizer`` re-analyses its texts into
character n-grams twice (fit, then transform), and the value/unit cues are recomputed per
fit. Inside :func:`shared_analysis`, ``classifier.features.FeatureBuilder`` takes each
distinct text's n-gram counts and cues from one :class:`TextCache` instead: the
vocabulary and idf are still learnt from the training texts of each fit only (a held-out
text's grams never enter a training vocabulary), and the matrices are the ones sklearn
builds, entry for entry (tests/test_classifier_textcache.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

import numpy as np

from classifier.cues import cue_matrix

if TYPE_CHECKING:  # imported where used: loading a classifier needs neither (classifier.features)
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

_ACTIVE: ContextVar[TextCache | None] = ContextVar("classifier_text_cache", default=None)


class GramCounts:
    """One analyzer's n-gram counts per distinct text, over a vocabulary of every gram seen."""

    def __init__(self, analyze: Callable[[str], list[str]]) -> None:
        self._analyze = analyze
        self._ids: dict[str, int] = {}
        self._terms: list[str] = []
        self._rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        # Vocabularies made by :meth:`vocabulary` (held, so their ids stay theirs) → their grams' ids.
        self._columns: dict[int, tuple[dict[str, int], np.ndarray]] = {}

    def _row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        row = self._rows.get(text)
        if row is None:
            counts: dict[int, int] = {}
            for gram in self._analyze(text):
                j = self._ids.get(gram)
                if j is None:
                    j = self._ids[gram] = len(self._terms)
                    self._terms.append(gram)
                counts[j] = counts.get(j, 0) + 1
            row = (
                np.fromiter(counts, dtype=np.int64, count=len(counts)),
                np.fromiter(counts.values(), dtype=np.float64, count=len(counts)),
            )
            self._rows[text] = row
        return row

    def _stacked(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = [self._row(t) for t in texts]
        lengths = np.fromiter((len(r[0]) for r in rows), dtype=np.int64, count=len(rows))
        ids = np.concatenate([r[0] for r in rows]) if rows else np.zeros(0, dtype=np.int64)
        counts = np.concatenate([r[1] for r in rows]) if rows else np.zeros(0)
        return ids, counts, np.repeat(np.arange(len(rows)), lengths)

    def vocabulary(self, texts: Sequence[str]) -> dict[str, int]:
        """What ``CountVectorizer.fit(texts)`` learns: every gram of ``texts``, numbered in sorted
        order, the keys in order of first appearance (as sklearn's dict has them, and saves them)."""
        ids, _, _ = self._stacked(texts)
        unique, first = np.unique(ids, return_index=True)
        grams = sorted(unique.tolist(), key=self._terms.__getitem__)
        column = dict(zip(grams, range(len(grams)), strict=True))
        vocabulary = {self._terms[g]: column[g] for g in unique[np.argsort(first)].tolist()}
        self._columns[id(vocabulary)] = (vocabulary, np.asarray(grams, dtype=np.int64))
        return vocabulary

    def _column_of(self, vocabulary: dict[str, int]) -> np.ndarray:
        """Each known gram's column in ``vocabulary`` (-1 if absent from it)."""
        column = np.full(len(self._terms), -1, dtype=np.int64)
        known = self._columns.get(id(vocabulary))
        if known is not None and known[0] is vocabulary:  # one this cache made: no per-term lookups
            column[known[1]] = np.arange(len(known[1]))
            return column
        for term, j in vocabulary.items():
            g = self._ids.get(term)
            if g is not None:
                column[g] = j
        return column

    def counts(self, texts: Sequence[str], vocabulary: dict[str, int], dtype: type) -> sp.csr_array:
        """What ``CountVectorizer.transform(texts)`` gives with ``vocabulary``: counts, sorted columns."""
        import scipy.sparse as sp

        ids, counts, rows = self._stacked(texts)
        cols = self._column_of(vocabulary)[ids]
        keep = cols >= 0
        rows, cols, counts = rows[keep], cols[keep], counts[keep]
        order = np.lexsort((cols, rows))
        indptr = np.zeros(len(texts) + 1, dtype=np.int32)
        np.cumsum(np.bincount(rows, minlength=len(texts)), out=indptr[1:])
        return sp.csr_array(
            (counts[order].astype(dtype), cols[order].astype(np.int32), indptr),
            shape=(len(texts), len(vocabulary)),
        )


def _tfidf_step(vectorizer: TfidfVectorizer) -> TfidfTransformer:
    """The tf-idf weighting ``vectorizer`` applies to its counts (the transformer it builds itself)."""
    from sklearn.feature_extraction.text import TfidfTransformer

    return TfidfTransformer(
        norm=vectorizer.norm,
        use_idf=vectorizer.use_idf,
        smooth_idf=vectorizer.smooth_idf,
        sublinear_tf=vectorizer.sublinear_tf,
    )


class TextCache:
    """N-gram counts (per vectorizer role) and cue rows of every text seen in one run."""

    def __init__(self) -> None:
        self._grams: dict[str, GramCounts] = {}
        self._cues: dict[tuple[str, str | None], np.ndarray] = {}

    def _counts_for(self, role: str, vectorizer: TfidfVectorizer) -> GramCounts:
        grams = self._grams.get(role)
        if grams is None:
            grams = self._grams[role] = GramCounts(vectorizer.build_analyzer())
        return grams

    def fit(self, role: str, vectorizer: TfidfVectorizer, texts: Sequence[str]) -> None:
        """Fit ``vectorizer`` (vocabulary and idf) on ``texts``, as ``vectorizer.fit(texts)`` would.

        ``role`` names the vectorizer's configuration (one analyzer per role).
        """
        grams = self._counts_for(role, vectorizer)
        vocabulary = grams.vocabulary(texts)
        if not vocabulary:  # sklearn's own error for an empty vocabulary
            vectorizer.fit(list(texts))
            return
        idf = _tfidf_step(vectorizer).fit(grams.counts(texts, vocabulary, vectorizer.dtype)).idf_
        vectorizer.vocabulary_ = vocabulary
        vectorizer.idf_ = idf

    def transform(self, role: str, vectorizer: TfidfVectorizer, texts: Sequence[str]) -> sp.sparray:
        """``vectorizer.transform(texts)`` for a vectorizer fitted by :meth:`fit` (or by sklearn)."""
        grams = self._counts_for(role, vectorizer)
        step = _tfidf_step(vectorizer)
        step.idf_ = vectorizer.idf_
        return step.transform(grams.counts(texts, vectorizer.vocabulary_, vectorizer.dtype), copy=False)

    def cues(self, names: Sequence[str], values: Sequence[str | None]) -> np.ndarray:
        """``cue_matrix(names, values)``, each distinct (name, value) pair computed once."""
        pairs = list(zip(names, values, strict=True))
        missing = list(dict.fromkeys(p for p in pairs if p not in self._cues))
        if missing:
            rows = cue_matrix([p[0] for p in missing], [p[1] for p in missing])
            self._cues.update(zip(missing, rows, strict=True))
        if not pairs:
            return cue_matrix([], [])
        return np.stack([self._cues[p] for p in pairs])


def active_cache() -> TextCache | None:
    """The cache of the enclosing :func:`shared_analysis` block, if any."""
    return _ACTIVE.get()


@contextmanager
def shared_analysis() -> Iterator[TextCache]:
    """Within the block, every ``FeatureBuilder`` fit and transform shares one :class:`TextCache`
    (a nested block shares the enclosing block's; the cache is dropped when the outermost ends)."""
    outer = _ACTIVE.get()
    if outer is not None:
        yield outer
        return
    cache = TextCache()
    token = _ACTIVE.set(cache)
    try:
        yield cache
    finally:
        _ACTIVE.reset(token)
