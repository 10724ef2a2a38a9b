"""The encoder interface every part of jixiao depends on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed ``dim``.

    Queries and passages are encoded separately because asymmetric models (E5)
    prefix them differently (``query: `` / ``passage: ``).
    """

    name: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for search queries, shape ``(len(texts), dim)``."""
        ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for documents (goals, names, indicators)."""
        ...


def encode_distinct(texts: Sequence[str], embed: Callable[[list[str]], np.ndarray], dim: int) -> np.ndarray:
    """Rows of ``embed`` for ``texts``, each distinct text embedded once, longest first.

    Sorting by length keeps each batch's padding small; the result is float32,
    L2-normalised and in the order of ``texts``. Every backend encodes through this.
    """
    texts = list(texts)
    if not texts:
        return np.zeros((0, dim), dtype=np.float32)
    unique = list(dict.fromkeys(texts))
    by_length = sorted(range(len(unique)), key=lambda i: len(unique[i]), reverse=True)
    vectors = np.asarray(embed([unique[i] for i in by_length]), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors /= np.maximum(norms, 1e-12)
    row_of = {unique[i]: row for row, i in enumerate(by_length)}
    return vectors[[row_of[t] for t in texts]]
