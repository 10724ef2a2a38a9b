"""The encoder interface every part of jixiao depends on."""

from __future__ import annotations

from collections.abc import Sequence
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
