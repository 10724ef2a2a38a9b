"""Feature extraction: character n-gram TF-IDF of name and value, plus sentence embeddings.

* Name: TF-IDF of character 1–3-grams (Chinese has no spaces; characters such
  as 率/数/及时/满意 carry most of the signal).
* Value (when given): TF-IDF of character 1–2-grams of the target value with
  digits folded to ``9``, so ``≥95%`` and ``≥98%`` share grams and units
  (天/次/家/%/万元) and words (年底前/及时/满意) stand out.
* Words (optional, ``word_weight``): TF-IDF of the jieba tokens of the name
  (``indexer.tokenize.tokenize``), so whole words such as 满意度/完成率/增长 count
  as one unit.
* Structure (optional, ``structure_weight``): indicator tokens read from the
  parsed target value (``indexer.targets.parse_target``: comparator, unit,
  qualitative or absent) and the last one/two characters of the name
  (率/数/量/度 …), which carry the measure type.
* Embedding: the encoder's query vector of the name, cached per unique text.

The blocks are L2-normalised and weighted, then concatenated into one sparse
matrix. State is plain JSON (vocabularies, weights) + numpy arrays (idf), so
no pickle is needed to persist it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from indexer.encoder.base import Encoder
from indexer.targets import parse_target
from indexer.tokenize import tokenize

_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_NO_VALUE = "∅"  # stands for "no value given", so its absence is a feature too


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


def _name_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), sublinear_tf=True, preprocessor=fold_digits, dtype=np.float32
    )


def _value_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char", ngram_range=(1, 2), sublinear_tf=True, preprocessor=fold_digits, dtype=np.float32
    )


def _word_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=tokenize, sublinear_tf=True, dtype=np.float32)


_NAME_END = re.compile(r"[\s\d\W_]+$")


def structure_tokens(pair: tuple[str, str | None]) -> list[str]:
    """Tokens of the parsed target value and of the name's ending, for the structure block.

    ``("培训人数", "≥300人次")`` gives ``["cmp:>=", "unit:人次", "num", "end1:数", "end2:人数"]``;
    a missing value gives ``"val:none"``, a value without a number ``"val:qual"``.
    """
    name, value = pair
    tokens: list[str] = []
    target = parse_target(value) if value else None
    if target is None:
        tokens.append("val:none")
    elif target.qualitative:
        tokens.append("val:qual")
    else:
        tokens += [f"cmp:{target.comparator or '='}", f"unit:{target.unit or '-'}", "num"]
        if target.unit and target.unit.endswith("元"):
            tokens.append("unit:money")
    end = _NAME_END.sub("", _PAREN_TAIL.sub("", name.strip()))
    if end:
        tokens.append(f"end1:{end[-1]}")
        tokens.append(f"end2:{end[-2:]}")
    return tokens


_PAREN_TAIL = re.compile(r"[（(][^（）()]*[）)]\s*$")


def _structure_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=structure_tokens, sublinear_tf=True, dtype=np.float32)


def pair_text(name: str, value: str | None) -> str:
    """The text embedded for the name+value block: ``"name：value"`` (just the name without a value)."""
    return f"{name}：{value}" if value else name


class FeatureBuilder:
    """Turns (name, value) pairs into the model's feature matrix."""

    def __init__(
        self,
        embed: EmbeddingCache | None,
        name_weight: float = 1.0,
        value_weight: float = 0.5,
        embedding_weight: float = 1.0,
        word_weight: float = 0.0,
        structure_weight: float = 0.0,
        pair_embedding_weight: float = 0.0,
    ) -> None:
        self.embed = embed
        self.name_weight = name_weight
        self.value_weight = value_weight
        self.embedding_weight = embedding_weight if embed is not None else 0.0
        self.word_weight = word_weight
        self.structure_weight = structure_weight
        self.pair_embedding_weight = pair_embedding_weight if embed is not None else 0.0
        self.name_tfidf = _name_vectorizer()
        self.value_tfidf = _value_vectorizer()
        self.word_tfidf = _word_vectorizer()
        self.structure_tfidf = _structure_vectorizer()

    @staticmethod
    def _values(values: Sequence[str | None]) -> list[str]:
        return [v if v else _NO_VALUE for v in values]

    def fit(self, names: Sequence[str], values: Sequence[str | None]) -> FeatureBuilder:
        """Learn the TF-IDF vocabularies from training texts."""
        self.name_tfidf.fit(list(names))
        self.value_tfidf.fit(self._values(values))
        if self.word_weight:
            self.word_tfidf.fit(list(names))
        if self.structure_weight:
            self.structure_tfidf.fit(list(zip(names, values, strict=True)))
        return self

    def transform(self, names: Sequence[str], values: Sequence[str | None]) -> sp.csr_matrix:
        """Feature matrix of ``names`` with their ``values`` (None where absent)."""
        blocks = [self.name_weight * self.name_tfidf.transform(list(names))]
        if self.value_weight:
            blocks.append(self.value_weight * self.value_tfidf.transform(self._values(values)))
        if self.word_weight:
            blocks.append(self.word_weight * self.word_tfidf.transform(list(names)))
        if self.structure_weight:
            pairs = list(zip(names, values, strict=True))
            blocks.append(self.structure_weight * self.structure_tfidf.transform(pairs))
        if self.embed is not None and self.embedding_weight:
            blocks.append(sp.csr_matrix(self.embedding_weight * self.embed(list(names))))
        if self.embed is not None and self.pair_embedding_weight:
            pairs = [pair_text(n, v) for n, v in zip(names, values, strict=True)]
            blocks.append(sp.csr_matrix(self.pair_embedding_weight * self.embed(pairs)))
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    @property
    def n_features(self) -> int:
        """Width of the feature matrix."""
        width = len(self.name_tfidf.vocabulary_)
        if self.value_weight:
            width += len(self.value_tfidf.vocabulary_)
        if self.word_weight:
            width += len(self.word_tfidf.vocabulary_)
        if self.structure_weight:
            width += len(self.structure_tfidf.vocabulary_)
        if self.embed is not None and self.embedding_weight:
            width += self.embed.encoder.dim
        if self.embed is not None and self.pair_embedding_weight:
            width += self.embed.encoder.dim
        return width

    def _blocks(self) -> list[tuple[str, TfidfVectorizer]]:
        """The fitted TF-IDF blocks by prefix (optional blocks only when weighted)."""
        blocks = [("name", self.name_tfidf), ("value", self.value_tfidf)]
        if self.word_weight:
            blocks.append(("word", self.word_tfidf))
        if self.structure_weight:
            blocks.append(("structure", self.structure_tfidf))
        return blocks

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON-able parameters and numpy arrays that :meth:`from_state` restores."""
        params: dict[str, Any] = {
            "name_weight": self.name_weight,
            "value_weight": self.value_weight,
            "embedding_weight": self.embedding_weight,
            "word_weight": self.word_weight,
            "structure_weight": self.structure_weight,
            "pair_embedding_weight": self.pair_embedding_weight,
        }
        arrays: dict[str, np.ndarray] = {}
        for prefix, vec in self._blocks():
            params[f"{prefix}_vocabulary"] = {k: int(v) for k, v in vec.vocabulary_.items()}
            arrays[f"{prefix}_idf"] = np.asarray(vec.idf_, dtype=np.float64)
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
            word_weight=float(params.get("word_weight", 0.0)),
            structure_weight=float(params.get("structure_weight", 0.0)),
            pair_embedding_weight=float(params.get("pair_embedding_weight", 0.0)),
        )
        for prefix, vec in builder._blocks():
            vocab, idf = params[f"{prefix}_vocabulary"], arrays[f"{prefix}_idf"]
            if len(vocab) != len(idf):
                raise ValueError(f"vocabulary has {len(vocab)} entries but idf has {len(idf)}")
            vec.vocabulary_ = dict(vocab)
            vec.idf_ = np.asarray(idf, dtype=np.float64)
        return builder
