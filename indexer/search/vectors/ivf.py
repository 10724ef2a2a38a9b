"""``ivf`` and ``ivfpq``: inverted files (``IndexIVFFlat`` / ``IndexIVFPQ``).

k-means into ``ivf_nlist`` cells, a query scans the ``ivf_nprobe`` nearest cells.
Trained at the first ``add`` (on a sample of that batch), when ``n`` — hence the
default ``nlist`` — is known. ``ivfpq`` also product-quantises vectors to ``pq_m``
bytes each: a fraction of the memory, lower recall (scores are approximate too).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from indexer.errors import InvalidInputError
from indexer.search.vectors.base import AnnParams, FaissIndex, default_nlist


class IvfIndex(FaissIndex):
    """Inverted-file index; ``quantize`` selects product quantisation (kind ``ivfpq``)."""

    def __init__(
        self, index: object | None, dim: int, params: AnnParams | None = None, quantize: bool = False
    ) -> None:
        super().__init__(index, dim, params)
        self.quantize = quantize

    @property
    def kind(self) -> str:  # type: ignore[override]
        """``"ivfpq"`` when product-quantised, else ``"ivf"``."""
        return "ivfpq" if self.quantize else "ivf"

    @classmethod
    def create(cls, dim: int, params: AnnParams | None = None, quantize: bool = False) -> IvfIndex:
        """An empty, untrained index of dimension ``dim``."""
        if dim <= 0:
            raise InvalidInputError(f"dim must be positive, got {dim}")
        return cls(None, dim, params, quantize)

    @classmethod
    def wrap(cls, raw: object) -> IvfIndex:
        """Wrap a loaded IVF index, recovering nlist, nprobe (and pq_m)."""
        import faiss

        ivf = faiss.extract_index_ivf(raw)
        quantize = isinstance(raw, faiss.IndexIVFPQ)
        params = replace(AnnParams(), ivf_nlist=int(ivf.nlist), ivf_nprobe=int(ivf.nprobe))
        if quantize:
            params = replace(params, pq_m=int(raw.pq.M))  # type: ignore[attr-defined]
        return cls(raw, raw.d, params, quantize)  # type: ignore[attr-defined]

    def _ready(self, first_batch: np.ndarray) -> object:
        import faiss

        params = self.params
        dim = first_batch.shape[1]
        nlist = params.ivf_nlist or default_nlist(len(first_batch))
        if len(first_batch) < nlist:
            raise InvalidInputError(
                f"{self.kind}: first batch has {len(first_batch)} vectors, fewer than nlist={nlist}"
            )
        quantizer = faiss.IndexFlatIP(dim)
        if not self.quantize:
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

    def set_search_params(self, *, ef_search: int | None = None, nprobe: int | None = None) -> None:
        """Set ``nprobe`` once trained (``ef_search`` does not apply)."""
        if nprobe is not None and self._index is not None:
            self._index.nprobe = nprobe  # type: ignore[attr-defined]
            self.params = replace(self.params, ivf_nprobe=nprobe)
