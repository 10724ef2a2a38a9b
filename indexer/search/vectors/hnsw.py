"""``hnsw``: graph index (``IndexHNSWFlat``, inner product).

``hnsw_m`` links per node (memory: vectors + ~``8·m`` bytes per vector),
``hnsw_ef_construction`` trades build time for graph quality, ``hnsw_ef_search``
trades latency for recall at query time. Supports incremental ``add`` with no training.
"""

from __future__ import annotations

from dataclasses import replace

from indexer.errors import InvalidInputError
from indexer.search.vectors.base import AnnParams, FaissIndex


class HnswIndex(FaissIndex):
    """Approximate inner-product search on a navigable small-world graph."""

    kind = "hnsw"

    @classmethod
    def create(cls, dim: int, params: AnnParams | None = None) -> HnswIndex:
        """An empty graph index of dimension ``dim``."""
        import faiss

        params = params or AnnParams()
        if dim <= 0:
            raise InvalidInputError(f"dim must be positive, got {dim}")
        index = faiss.IndexHNSWFlat(dim, params.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = params.hnsw_ef_construction
        index.hnsw.efSearch = params.hnsw_ef_search
        return cls(index, dim, params)

    @classmethod
    def wrap(cls, raw: object) -> HnswIndex:
        """Wrap a loaded ``faiss.IndexHNSWFlat``, recovering its parameters."""
        hnsw = raw.hnsw  # type: ignore[attr-defined]
        params = replace(
            AnnParams(),
            hnsw_m=int(hnsw.nb_neighbors(1)),
            hnsw_ef_construction=int(hnsw.efConstruction),
            hnsw_ef_search=int(hnsw.efSearch),
        )
        return cls(raw, raw.d, params)  # type: ignore[attr-defined]

    def set_search_params(self, *, ef_search: int | None = None, nprobe: int | None = None) -> None:
        """Set ``efSearch`` (``nprobe`` does not apply)."""
        if ef_search is not None:
            self._index.hnsw.efSearch = ef_search  # type: ignore[union-attr]
            self.params = replace(self.params, hnsw_ef_search=ef_search)
