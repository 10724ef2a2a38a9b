"""A small vector-index abstraction over FAISS: exact or approximate inner-product search.

Vectors are L2-normalised float32 (see ``indexer.encoder.base.Encoder``), so inner
product is cosine similarity. Rows are addressed by position: the i-th vector added
gets id ``i``; callers keep their own row → record table.

Kinds:

* ``"flat"``  – exact brute force (``IndexFlatIP``). No build cost, ~``4·dim`` bytes per
  vector, search cost linear in ``n``. The right choice up to a few hundred thousand vectors.
* ``"hnsw"``  – graph index (``IndexHNSWFlat``, inner product). ``hnsw_m`` links per node
  (memory: vectors + ~``8·m`` bytes per vector), ``hnsw_ef_construction`` trades build
  time for graph quality, ``hnsw_ef_search`` trades latency for recall at query time.
  Supports incremental ``add`` with no training.
* ``"ivf"``   – inverted file (``IndexIVFFlat``): k-means into ``ivf_nlist`` cells, a query
  scans the ``ivf_nprobe`` nearest cells. Needs training (on a sample of the first batch).
* ``"ivfpq"`` – like ``ivf`` but vectors are product-quantised to ``pq_m`` bytes each:
  a fraction of the memory, lower recall (scores are approximate too).

:func:`choose_kind` picks ``flat`` below :data:`EXACT_THRESHOLD` vectors and ``hnsw`` above.
Nothing here sets FAISS's thread count: that is the caller's (process-wide) decision.
``search`` may run from several threads at once; ``add`` and ``set_search_params`` must not
overlap with anything else. Corpora that repeat texts are best indexed one vector per
distinct text (see ``bench/bench_scale.py``, ``*-distinct``): same answers, fewer vectors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, cast

import faiss
import numpy as np

from indexer.errors import ArtifactError, ArtifactMismatchError, InvalidInputError

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


def _as_matrix(vectors: np.ndarray, dim: int | None, what: str) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise InvalidInputError(f"{what}: expected a 2-d array, got shape {array.shape}")
    if dim is not None and array.shape[1] != dim:
        raise InvalidInputError(f"{what}: expected dim {dim}, got {array.shape[1]}")
    return np.ascontiguousarray(array)


def _kind_of(index: faiss.Index) -> IndexKind:
    # IVFPQ before IVF: both are IndexIVF subclasses.
    if isinstance(index, faiss.IndexIVFPQ):
        return "ivfpq"
    if isinstance(index, faiss.IndexIVFFlat):
        return "ivf"
    if isinstance(index, faiss.IndexHNSWFlat):
        return "hnsw"
    if isinstance(index, faiss.IndexFlatIP):
        return "flat"
    raise ArtifactError(f"unsupported FAISS index type {type(index).__name__}")


class VectorIndex:
    """Inner-product index of one :data:`IndexKind` over L2-normalised vectors.

    Build with :meth:`build` (or :meth:`create` then :meth:`add`), query with
    :meth:`search`, persist with :meth:`save` / :meth:`load`.
    """

    def __init__(
        self,
        index: faiss.Index | None,
        *,
        kind: IndexKind | None = None,
        dim: int | None = None,
        params: AnnParams | None = None,
    ) -> None:
        """Wrap a FAISS index (use :meth:`create`, :meth:`build` or :meth:`load`).

        ``index`` is None only for an IVF kind not trained yet; ``kind`` and ``dim``
        are then required.
        """
        if index is None and (kind is None or dim is None):
            raise InvalidInputError("an index-less VectorIndex needs kind and dim")
        self._index = index
        self.kind: IndexKind = _kind_of(index) if index is not None else cast(IndexKind, kind)
        self._dim = int(index.d) if index is not None else int(cast(int, dim))
        self.params = params or AnnParams()

    # -- construction -------------------------------------------------------------

    @classmethod
    def create(cls, dim: int, kind: IndexKind, params: AnnParams | None = None) -> VectorIndex:
        """An empty index. IVF kinds are untrained until the first :meth:`add`."""
        params = params or AnnParams()
        if dim <= 0:
            raise InvalidInputError(f"dim must be positive, got {dim}")
        if kind == "flat":
            return cls(faiss.IndexFlatIP(dim), params=params)
        if kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, params.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = params.hnsw_ef_construction
            index.hnsw.efSearch = params.hnsw_ef_search
            return cls(index, params=params)
        if kind in ("ivf", "ivfpq"):
            # Trained at the first add, when n (hence the default nlist) is known.
            return cls(None, kind=kind, dim=dim, params=params)
        raise InvalidInputError(f"unknown index kind {kind!r}; expected one of {KINDS}")

    @classmethod
    def build(
        cls,
        vectors: np.ndarray,
        kind: IndexKind | Literal["auto"] = "auto",
        params: AnnParams | None = None,
        threshold: int = EXACT_THRESHOLD,
    ) -> VectorIndex:
        """Index ``vectors`` (n × dim); ``kind="auto"`` applies :func:`choose_kind`."""
        matrix = _as_matrix(vectors, None, "build")
        chosen = choose_kind(len(matrix), threshold) if kind == "auto" else kind
        index = cls.create(matrix.shape[1], chosen, params)
        index.add(matrix)
        return index

    def _make_ivf(self, first_batch: np.ndarray) -> faiss.Index:
        params = self.params
        dim = first_batch.shape[1]
        nlist = params.ivf_nlist or default_nlist(len(first_batch))
        if len(first_batch) < nlist:
            raise InvalidInputError(
                f"{self.kind}: first batch has {len(first_batch)} vectors, fewer than nlist={nlist}"
            )
        quantizer = faiss.IndexFlatIP(dim)
        if self.kind == "ivf":
            index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        else:
            if dim % params.pq_m:
                raise InvalidInputError(f"ivfpq: pq_m={params.pq_m} does not divide dim={dim}")
            index = faiss.IndexIVFPQ(quantizer, dim, nlist, params.pq_m, 8, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = params.seed
        index.cp.max_points_per_centroid = max(39, params.train_size // nlist + 1)
        rng = np.random.default_rng(params.seed)
        sample = first_batch
        if len(first_batch) > params.train_size:
            rows = np.sort(rng.choice(len(first_batch), params.train_size, replace=False))
            sample = first_batch[rows]
        index.train(np.ascontiguousarray(sample))
        # The index keeps a pointer to the quantizer; keep it alive with the index.
        index.own_fields = True
        quantizer.this.disown()
        index.nprobe = min(params.ivf_nprobe, nlist)
        self.params = replace(params, ivf_nlist=nlist)
        return index

    def add(self, vectors: np.ndarray) -> None:
        """Append vectors; their ids continue from :attr:`ntotal`."""
        matrix = _as_matrix(vectors, self.dim, "add")
        if len(matrix) == 0:
            return
        if self._index is None:
            self._index = self._make_ivf(matrix)
        self._index.add(matrix)

    # -- querying ---------------------------------------------------------------------

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return self._dim

    @property
    def ntotal(self) -> int:
        """Number of vectors indexed."""
        return int(self._index.ntotal) if self._index is not None else 0

    def __len__(self) -> int:
        return self.ntotal

    def set_search_params(self, *, ef_search: int | None = None, nprobe: int | None = None) -> None:
        """Change the recall/latency trade-off at query time (HNSW ``efSearch``, IVF ``nprobe``)."""
        if ef_search is not None and self.kind == "hnsw":
            self._index.hnsw.efSearch = ef_search
            self.params = replace(self.params, hnsw_ef_search=ef_search)
        if nprobe is not None and self.kind in ("ivf", "ivfpq") and self._index is not None:
            self._index.nprobe = nprobe
            self.params = replace(self.params, ivf_nprobe=nprobe)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` rows per query: ``(scores, ids)``, both ``(n_queries, k)``, best first.

        Fewer than ``k`` results (tiny index, or IVF cells too small) are padded with
        id ``-1`` and score ``-inf``.
        """
        if k <= 0:
            raise InvalidInputError(f"k must be positive, got {k}")
        matrix = _as_matrix(queries, self.dim, "search")
        if self._index is None or self.ntotal == 0:
            n = len(matrix)
            return np.full((n, k), -np.inf, dtype=np.float32), np.full((n, k), -1, dtype=np.int64)
        scores, ids = self._index.search(matrix, k)
        scores = np.where(ids < 0, -np.inf, scores).astype(np.float32)
        return scores, ids

    # -- persistence ------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the index to one file (FAISS format; it keeps efSearch / nprobe)."""
        if self._index is None:
            raise InvalidInputError(f"{self.kind}: cannot save an index with no vectors")
        path.parent.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        expected_dim: int | None = None,
        expected_ntotal: int | None = None,
        expected_kind: IndexKind | None = None,
    ) -> VectorIndex:
        """Read an index written by :meth:`save`; refuse a different dim, size or kind."""
        if not path.is_file():
            raise ArtifactError(f"{path}: vector index file not found")
        try:
            raw = faiss.read_index(str(path))
        except RuntimeError as exc:  # FAISS reports corrupt files as RuntimeError
            raise ArtifactError(f"{path}: unreadable vector index: {exc}") from exc
        index = cls(raw, params=_params_of(raw))
        artifact = f"vector index {path}"
        if expected_kind is not None and index.kind != expected_kind:
            raise ArtifactMismatchError(artifact, "kind", expected_kind, index.kind)
        if expected_dim is not None and index.dim != expected_dim:
            raise ArtifactMismatchError(artifact, "dim", expected_dim, index.dim)
        if expected_ntotal is not None and index.ntotal != expected_ntotal:
            raise ArtifactMismatchError(artifact, "ntotal", expected_ntotal, index.ntotal)
        return index


def _params_of(index: faiss.Index) -> AnnParams:
    """Recover the parameters stored inside a FAISS index."""
    kind = _kind_of(index)
    params = AnnParams()
    if kind == "hnsw":
        hnsw = cast(faiss.IndexHNSWFlat, index).hnsw
        m = int(hnsw.nb_neighbors(1))
        return replace(
            params,
            hnsw_m=m,
            hnsw_ef_construction=int(hnsw.efConstruction),
            hnsw_ef_search=int(hnsw.efSearch),
        )
    if kind in ("ivf", "ivfpq"):
        ivf = faiss.extract_index_ivf(index)
        params = replace(params, ivf_nlist=int(ivf.nlist), ivf_nprobe=int(ivf.nprobe))
        if kind == "ivfpq":
            params = replace(params, pq_m=int(cast(faiss.IndexIVFPQ, index).pq.M))
    return params
