"""A deterministic, dependency-free encoder for fast tests.

It hashes character unigrams and bigrams into ``dim`` buckets, so texts that
share characters get similar vectors: enough for tests of plumbing, ranking
fusion and persistence, and identical on every machine and run.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence

import numpy as np


class FakeEncoder:
    """Character n-gram hashing encoder (not a language model)."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.name = f"fake-hash-{dim}"

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            chars = [c for c in text if not c.isspace()]
            grams = chars + [a + b for a, b in itertools.pairwise(chars)]
            for gram in grams:
                digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dim
                sign = 1.0 if digest[4] & 1 else -1.0
                out[row, bucket] += sign
            norm = float(np.linalg.norm(out[row]))
            if norm > 0:
                out[row] /= norm
            else:
                out[row, 0] = 1.0
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for queries (same space as passages)."""
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for passages."""
        return self._encode(texts)
