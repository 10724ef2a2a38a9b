"""An encoder whose model is loaded at its first encode call.

A CLI command such as ``jixiao classify`` checks a classifier artifact against the
encoder's name and dim, but the shipped classifier never encodes: loading the model
(tokenizer and ONNX session, or torch) would be most of its start-up for nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from indexer.encoder.base import Encoder


class LazyEncoder:
    """``Encoder`` with a known ``name`` and ``dim`` that calls ``load()`` once, when first used."""

    def __init__(self, name: str, dim: int, load: Callable[[], Encoder]) -> None:
        self.name = name
        self.dim = dim
        self._load = load
        self._encoder: Encoder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded."""
        return self._encoder is not None

    def _get(self) -> Encoder:
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:  # another thread may have loaded it while we waited
                    self._encoder = self._load()
        return self._encoder

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for search queries (loads the model on first use)."""
        return self._get().encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for documents (loads the model on first use)."""
        return self._get().encode_passages(texts)
