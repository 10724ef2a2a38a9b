"""Dense vectors of the unique texts, in a FAISS inner-product index.

Vectors are L2-normalised, so inner product is cosine similarity. The FAISS
file is the only copy of the vectors on disk (an exact ``IndexFlatIP`` can give
them back), and a rebuild reuses the stored vector of every text it already
has, keyed by the text itself: ingesting a table embeds only its new texts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from indexer.encoder.base import Encoder
from indexer.errors import ArtifactError, ArtifactMismatchError

ProgressFn = Callable[[int, int], None]
ENCODE_CHUNK = 256
EXHAUSTIVE_LIMIT = 200_000  # up to this many texts a query scores every one of them


def embed_unique(
    texts: Sequence[str],
    encoder: Encoder,
    reuse: Mapping[str, np.ndarray] | None = None,
    progress: ProgressFn | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` (already unique): reused ones copied, the rest
    encoded in chunks. Returns ``(vectors, number encoded)``."""
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    todo: list[int] = []
    for i, text in enumerate(texts):
        vector = reuse.get(text) if reuse else None
        if vector is not None and vector.shape == (encoder.dim,):
            out[i] = vector
        else:
            todo.append(i)
    for start in range(0, len(todo), ENCODE_CHUNK):
        chunk = todo[start : start + ENCODE_CHUNK]
        vectors = np.asarray(encoder.encode_passages([texts[i] for i in chunk]), dtype=np.float32)
        if vectors.shape != (len(chunk), encoder.dim):
            raise ArtifactError(
                f"encoder {encoder.name} returned shape {vectors.shape}, "
                f"expected ({len(chunk)}, {encoder.dim})"
            )
        out[chunk] = vectors
        if progress:
            progress(min(start + ENCODE_CHUNK, len(todo)), len(todo))
    return out, len(todo)


class DenseIndex:
    """Exact inner-product search over the unique-text vectors."""

    def __init__(self, index: object, dim: int) -> None:
        self._index = index
        self.dim = dim

    @classmethod
    def from_vectors(cls, vectors: np.ndarray) -> DenseIndex:
        """An ``IndexFlatIP`` holding ``vectors`` (float32, normalised)."""
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            index.add(vectors)
        return cls(index, vectors.shape[1])

    @property
    def ntotal(self) -> int:
        """Number of stored vectors."""
        return int(self._index.ntotal)  # type: ignore[attr-defined]

    def vectors(self) -> np.ndarray:
        """All stored vectors, shape ``(ntotal, dim)``."""
        if self.ntotal == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._index.reconstruct_n(0, self.ntotal), dtype=np.float32)  # type: ignore[attr-defined]

    def save(self, path: Path) -> None:
        """Write the FAISS index file."""
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, dim: int, ntotal: int) -> DenseIndex:
        """Read a FAISS file, checking its dimension and vector count."""
        import faiss

        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise ArtifactError(f"{path}: unreadable FAISS index: {exc}") from exc
        if index.d != dim:
            raise ArtifactMismatchError(str(path), "FAISS dim", dim, index.d)
        if index.ntotal != ntotal:
            raise ArtifactMismatchError(str(path), "FAISS vector count", ntotal, index.ntotal)
        return cls(index, dim)

    def similarities(self, query: np.ndarray, k: int | None = None) -> np.ndarray:
        """Cosine similarity of ``query`` to every text; texts beyond the top
        ``k`` (when the index is too large to score exhaustively) get ``-inf``."""
        n = self.ntotal
        out = np.full(n, -np.inf, dtype=np.float32)
        if n == 0:
            return out
        k = n if n <= EXHAUSTIVE_LIMIT or k is None else min(k, n)
        scores, ids = self._index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), k)  # type: ignore[attr-defined]
        valid = ids[0] >= 0
        out[ids[0][valid]] = scores[0][valid]
        return out
