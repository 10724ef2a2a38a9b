"""The vector-index interface and what every FAISS backend shares.

Vectors are L2-normalised float32 (see ``indexer.encoder.base.Encoder``), so inner
product is cosine similarity. Rows are addressed by position: the i-th vector added
gets id ``i``; callers keep their own row → record table. Nothing here sets FAISS's
thread count: that is the caller's (process-wide) decision. ``search`` may run from
several threads at once; ``add`` and ``set_search_params`` must not overlap with
anything else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal, Protocol, runtime_checkable

import numpy as np

from indexer.errors import InvalidInputError

IndexKind = Literal["flat", "hnsw", "ivf", "ivfpq"]
KINDS: tuple[IndexKind, ...] = ("flat", "hnsw", "ivf", "ivfpq")

EXACT_THRESHOLD = 200_000
"""Below this many vectors exact search is fast enough (≈ tens of ms at dim 384 on 2 cores)."""


@dataclass(frozen=True, slots=True)
class AnnParams:
    """Build and search parameters; each kind reads only its own fields."""

    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 256
    ivf_nlist: int | None = None  # None: 4·√n of the first batch, clamped to [1, n // 39]
    ivf_nprobe: int = 32
    pq_m: int = 48  # bytes per vector for ivfpq; must divide dim
    train_size: int = 100_000  # max vectors sampled to train IVF
    seed: int = 1234  # training sample and k-means seed


def choose_kind(n_vectors: int, threshold: int = EXACT_THRESHOLD) -> IndexKind:
    """``"flat"`` (exact) for fewer than ``threshold`` vectors, else ``"hnsw"``."""
    return "flat" if n_vectors < threshold else "hnsw"


def default_nlist(n_vectors: int) -> int:
    """Number of IVF cells for ``n_vectors``: 4·√n, with at least 39 training points per cell."""
    return max(1, min(int(4 * math.sqrt(n_vectors)), n_vectors // 39))


def as_matrix(vectors: np.ndarray, dim: int | None, what: str) -> np.ndarray:
    """``vectors`` as a contiguous float32 ``(n, dim)`` matrix (a single vector becomes one row)."""
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise InvalidInputError(f"{what}: expected a 2-d array, got shape {array.shape}")
    if dim is not None and array.shape[1] != dim:
        raise InvalidInputError(f"{what}: expected dim {dim}, got {array.shape[1]}")
    return np.ascontiguousarray(array)


@runtime_checkable
class VectorIndex(Protocol):
    """An inner-product index over L2-normalised vectors (one module per backend)."""

    kind: str
    params: AnnParams

    @property
    def dim(self) -> int:
        """Vector dimension."""
        ...

    @property
    def ntotal(self) -> int:
        """Number of vectors indexed."""
        ...

    def add(self, vectors: np.ndarray) -> None:
        """Append vectors; their ids continue from :attr:`ntotal`."""
        ...

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` rows per query: ``(scores, ids)``, both ``(n_queries, k)``, best first;
        padded with id ``-1`` and score ``-inf``."""
        ...

    def set_search_params(self, *, ef_search: int | None = None, nprobe: int | None = None) -> None:
        """Change the recall/latency trade-off at query time (ignored by kinds without one)."""
        ...

    def save(self, path: Path) -> None:
        """Write the index to one file."""
        ...


class FaissIndex:
    """What the FAISS backends share: a wrapped ``faiss.Index`` (None until an IVF kind is trained)."""

    kind: ClassVar[str]

    def __init__(self, index: object | None, dim: int, params: AnnParams | None = None) -> None:
        self._index = index
        self._dim = int(dim)
        self.params = params or AnnParams()

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return self._dim

    @property
    def ntotal(self) -> int:
        """Number of vectors indexed."""
        return int(self._index.ntotal) if self._index is not None else 0  # type: ignore[attr-defined]

    def __len__(self) -> int:
        return self.ntotal

    def _ready(self, first_batch: np.ndarray) -> object:
        """The FAISS index to add ``first_batch`` to (IVF kinds train here)."""
        assert self._index is not None
        return self._index

    def add(self, vectors: np.ndarray) -> None:
        """Append vectors; their ids continue from :attr:`ntotal`."""
        matrix = as_matrix(vectors, self.dim, "add")
        if len(matrix) == 0:
            return
        if self._index is None:
            self._index = self._ready(matrix)
        self._index.add(matrix)  # type: ignore[attr-defined]

    def set_search_params(self, *, ef_search: int | None = None, nprobe: int | None = None) -> None:
        """Exact and untuned kinds have no query-time trade-off: nothing to change."""

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` rows per query: ``(scores, ids)``, both ``(n_queries, k)``, best first.

        Fewer than ``k`` results (tiny index, or IVF cells too small) are padded with
        id ``-1`` and score ``-inf``.
        """
        if k <= 0:
            raise InvalidInputError(f"k must be positive, got {k}")
        matrix = as_matrix(queries, self.dim, "search")
        if self._index is None or self.ntotal == 0:
            n = len(matrix)
            return np.full((n, k), -np.inf, dtype=np.float32), np.full((n, k), -1, dtype=np.int64)
        scores, ids = self._index.search(matrix, k)  # type: ignore[attr-defined]
        scores = np.where(ids < 0, -np.inf, scores).astype(np.float32)
        return scores, ids

    def save(self, path: Path) -> None:
        """Write the index to one file (FAISS format; it keeps efSearch / nprobe)."""
        import faiss

        if self._index is None:
            raise InvalidInputError(f"{self.kind}: cannot save an index with no vectors")
        path.parent.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self._index, str(path))


def similarities(index: VectorIndex, query: np.ndarray, k: int | None = None) -> np.ndarray:
    """Similarity of ``query`` to every indexed vector, ``-inf`` for those not scored.

    Up to :data:`EXACT_THRESHOLD` vectors (or with ``k=None``) every vector is
    scored; above it only the top ``k`` the index returns.
    """
    n = index.ntotal
    out = np.full(n, -np.inf, dtype=np.float32)
    if n == 0:
        return out
    k = n if n <= EXACT_THRESHOLD or k is None else min(k, n)
    scores, ids = index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), k)
    valid = ids[0] >= 0
    out[ids[0][valid]] = scores[0][valid]
    return out
