"""Feature extraction: character n-gram TF-IDF of name and value, plus sentence embeddings.

* Name: TF-IDF of character 1–3-grams (Chinese has no spaces; characters such
  as 率/数/及时/满意 carry most of the signal).
* Value (when given): TF-IDF of character 1–2-grams of the target value with
  digits folded to ``9``, so ``≥95%`` and ``≥98%`` share grams and units
  (天/次/家/%/万元) and words (年底前/及时/满意) stand out.
* Embedding: the encoder's query vector of the name, cached per unique text.
* Cues: the value/unit/noun cues of ``classifier.cues`` (kind of measure, unit class,
  comparator, qualitative words), unfitted.

The blocks are L2-normalised and weighted, then concatenated into one sparse
matrix. State is plain JSON (vocabularies, weights) + numpy arrays (idf), so
no pickle is needed to persist it. A builder restored from its state makes the
sklearn vectorizers only when it transforms many texts: featurising a few (one
classification) needs neither sklearn nor scipy, whose imports took most of a
second of ``jixiao classify``'s start.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from classifier.cues import CUE_NAMES, cue_matrix
from classifier.textcache import active_cache
from indexer.encoder.base import Encoder

if TYPE_CHECKING:
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer

_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
# Up to this many texts, ``FeatureBuilder.rows`` is used instead of the sklearn transform:
# the same numbers without sklearn's per-call validation (most of one classification).
FAST_ROWS_MAX = 16
_NO_VALUE = "∅"  # stands for "no value given", so its absence is a feature too
NAME_NGRAMS = (1, 3)
VALUE_NGRAMS = (1, 2)


def fold_digits(text: str) -> str:
    """Replace every number by ``9`` (years, counts and percentages alike)."""
    return _DIGITS.sub("9", text)


class EmbeddingCache:
    """Encoder query vectors, computed once per unique text.

    Bounded: past ``max_entries`` the oldest entries are dropped, so a
    long-running server classifying arbitrary text does not grow without limit.
    """

    def __init__(self, encoder: Encoder, max_entries: int = 50_000) -> None:
        self.encoder = encoder
        self.max_entries = max_entries
        self._vectors: dict[str, np.ndarray] = {}

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of ``texts`` (shape ``(len(texts), dim)``), encoding only unseen ones."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            vectors = np.asarray(self.encoder.encode_queries(missing), dtype=np.float32)
            self._vectors.update(zip(missing, vectors, strict=True))
        if not texts:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        out = np.stack([self._vectors[t] for t in texts])
        if len(self._vectors) > self.max_entries:
            for key in list(self._vectors)[: len(self._vectors) - self.max_entries]:
                del self._vectors[key]
        return out

    def __len__(self) -> int:
        return len(self._vectors)


def _vectorizer(ngram_range: tuple[int, int]) -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char",
        ngram_range=ngram_range,
        sublinear_tf=True,
        preprocessor=fold_digits,
        dtype=np.float32,
    )


_WHITE_SPACES = re.compile(r"\s\s+")


def char_analyzer(ngram_range: tuple[int, int]) -> Callable[[str], list[str]]:
    """The analyzer of :func:`_vectorizer`'s ``TfidfVectorizer`` (``build_analyzer()``: our
    preprocessor, white space runs folded to one space, character n-grams in sklearn's order),
    without importing sklearn; tests/test_classifier_fast.py checks the two agree."""
    low, high = ngram_range

    def analyze(text: str) -> list[str]:
        text = _WHITE_SPACES.sub(" ", fold_digits(text))
        grams = list(text) if low == 1 else []
        for n in range(low + 1 if low == 1 else low, min(high + 1, len(text) + 1)):
            grams.extend(text[i : i + n] for i in range(len(text) - n + 1))
        return grams

    return analyze


class FeatureBuilder:
    """Turns (name, value) pairs into the model's feature matrix."""

    def __init__(
        self,
        embed: EmbeddingCache | None,
        name_weight: float = 1.0,
        value_weight: float = 0.5,
        embedding_weight: float = 1.0,
        cue_weight: float = 0.0,
    ) -> None:
        self.embed = embed
        self.cue_weight = cue_weight
        self.name_weight = name_weight
        self.value_weight = value_weight
        self.embedding_weight = embedding_weight if embed is not None else 0.0
        self._tfidf: tuple[TfidfVectorizer, TfidfVectorizer] | None = None
        # (vocabulary, idf) of name and value when restored from a state, until the vectorizers exist.
        self._restored: tuple[tuple[dict[str, int], np.ndarray], ...] | None = None
        self._fast: list[_FastTfidf] | None = None

    def _vectorizers(self) -> tuple[TfidfVectorizer, TfidfVectorizer]:
        if self._tfidf is None:
            vectorizers = (_vectorizer(NAME_NGRAMS), _vectorizer(VALUE_NGRAMS))
            for vec, (vocab, idf) in zip(vectorizers, self._restored or (), strict=False):
                vec.vocabulary_, vec.idf_ = vocab, idf
            self._tfidf, self._restored = vectorizers, None
        return self._tfidf

    @property
    def name_tfidf(self) -> TfidfVectorizer:
        """The name block's ``TfidfVectorizer`` (made, and sklearn imported, on first use)."""
        return self._vectorizers()[0]

    @property
    def value_tfidf(self) -> TfidfVectorizer:
        """The value block's ``TfidfVectorizer`` (made, and sklearn imported, on first use)."""
        return self._vectorizers()[1]

    def _fitted(self) -> tuple[tuple[dict[str, int], np.ndarray], ...]:
        """(vocabulary, idf) of the name and value blocks, without making the vectorizers."""
        if self._restored is not None:
            return self._restored
        return tuple((vec.vocabulary_, vec.idf_) for vec in self._vectorizers())

    @staticmethod
    def _values(values: Sequence[str | None]) -> list[str]:
        return [v if v else _NO_VALUE for v in values]

    def fit(self, names: Sequence[str], values: Sequence[str | None]) -> FeatureBuilder:
        """Learn the TF-IDF vocabularies from training texts.

        Inside ``classifier.textcache.shared_analysis`` each distinct text is analysed once per run.
        """
        cache = active_cache()
        if cache is None:
            self.name_tfidf.fit(list(names))
            self.value_tfidf.fit(self._values(values))
        else:
            cache.fit("name", self.name_tfidf, names)
            cache.fit("value", self.value_tfidf, self._values(values))
        self._fast = None
        return self

    def transform(self, names: Sequence[str], values: Sequence[str | None]) -> sp.csr_matrix:
        """Feature matrix of ``names`` with their ``values`` (None where absent)."""
        import scipy.sparse as sp

        cache = active_cache()
        if cache is None:
            name_x = self.name_tfidf.transform(list(names))
        else:
            name_x = cache.transform("name", self.name_tfidf, names)
        blocks = [self.name_weight * name_x]
        if self.value_weight:
            texts = self._values(values)
            value_x = (
                self.value_tfidf.transform(texts)
                if cache is None
                else cache.transform("value", self.value_tfidf, texts)
            )
            blocks.append(self.value_weight * value_x)
        if self.cue_weight:
            cues = cue_matrix(names, values) if cache is None else cache.cues(names, values)
            blocks.append(sp.csr_matrix(self.cue_weight * cues))
        if self.embed is not None and self.embedding_weight:
            blocks.append(sp.csr_matrix(self.embedding_weight * self.embed(list(names))))
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def rows(self, names: Sequence[str], values: Sequence[str | None]) -> list[tuple[np.ndarray, np.ndarray]]:
        """The rows of :meth:`transform` as (column indices, values) pairs, computed without
        sklearn's transform (for a few texts; tests/test_classifier_fast.py checks they agree)."""
        if self._fast is None:
            (name_vocab, name_idf), (value_vocab, value_idf) = self._fitted()
            self._fast = [
                _FastTfidf(char_analyzer(NAME_NGRAMS), name_vocab, name_idf),
                _FastTfidf(char_analyzer(VALUE_NGRAMS), value_vocab, value_idf),
            ]
        name_fast, value_fast = self._fast
        name_width = len(name_fast.vocabulary)
        cues = cue_matrix(names, values) if self.cue_weight else None
        vectors = self.embed(list(names)) if self.embed is not None and self.embedding_weight else None
        out = []
        for i, (name, value) in enumerate(zip(names, self._values(values), strict=True)):
            idx, data = name_fast.row(name)
            parts_idx, parts_data = [idx], [self.name_weight * data]
            offset = name_width
            if self.value_weight:
                idx, data = value_fast.row(value)
                parts_idx.append(idx + offset)
                parts_data.append(self.value_weight * data)
                offset += len(value_fast.vocabulary)
            if cues is not None:
                parts_idx.append(offset + np.arange(cues.shape[1]))
                parts_data.append(self.cue_weight * cues[i])
                offset += cues.shape[1]
            if vectors is not None:
                parts_idx.append(offset + np.arange(vectors.shape[1]))
                parts_data.append(self.embedding_weight * vectors[i])
            out.append((np.concatenate(parts_idx), np.concatenate(parts_data).astype(np.float32)))
        return out

    @property
    def n_features(self) -> int:
        """Width of the feature matrix."""
        (name_vocab, _), (value_vocab, _) = self._fitted()
        width = len(name_vocab)
        if self.value_weight:
            width += len(value_vocab)
        if self.cue_weight:
            width += len(CUE_NAMES)
        if self.embed is not None and self.embedding_weight:
            width += self.embed.encoder.dim
        return width

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON-able parameters and numpy arrays that :meth:`from_state` restores."""
        (name_vocab, name_idf), (value_vocab, value_idf) = self._fitted()
        params = {
            "name_weight": self.name_weight,
            "value_weight": self.value_weight,
            "embedding_weight": self.embedding_weight,
            "cue_weight": self.cue_weight,
            "name_vocabulary": {k: int(v) for k, v in name_vocab.items()},
            "value_vocabulary": {k: int(v) for k, v in value_vocab.items()},
        }
        arrays = {
            "name_idf": np.asarray(name_idf, dtype=np.float64),
            "value_idf": np.asarray(value_idf, dtype=np.float64),
        }
        return params, arrays

    @classmethod
    def from_state(
        cls, params: dict[str, Any], arrays: dict[str, np.ndarray], embed: EmbeddingCache | None
    ) -> FeatureBuilder:
        """Rebuild a fitted builder from :meth:`state` output."""
        builder = cls(
            embed,
            name_weight=float(params["name_weight"]),
            value_weight=float(params["value_weight"]),
            embedding_weight=float(params["embedding_weight"]),
            cue_weight=float(params["cue_weight"]),
        )
        restored = []
        for vocab, idf in (
            (params["name_vocabulary"], arrays["name_idf"]),
            (params["value_vocabulary"], arrays["value_idf"]),
        ):
            if len(vocab) != len(idf):
                raise ValueError(f"vocabulary has {len(vocab)} entries but idf has {len(idf)}")
            restored.append((dict(vocab), np.asarray(idf, dtype=np.float64)))
        builder._restored = tuple(restored)
        return builder


class _FastTfidf:
    """One fitted ``TfidfVectorizer``'s transform of a single text: its analyzer,
    sublinear tf × idf, L2-normalised (what sklearn computes, minus the validation)."""

    def __init__(
        self, analyze: Callable[[str], list[str]], vocabulary: dict[str, int], idf: np.ndarray
    ) -> None:
        self.analyze = analyze
        self.vocabulary = vocabulary
        self.idf = np.asarray(idf, dtype=np.float64)

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and values of ``text``'s row."""
        counts: dict[int, int] = {}
        for gram in self.analyze(text):
            j = self.vocabulary.get(gram)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        idx = np.fromiter(counts, dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        data = (np.log(tf) + 1.0) * self.idf[idx]
        return idx, data / np.linalg.norm(data)
