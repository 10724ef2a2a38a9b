"""Vector indexes behind one small interface (:class:`VectorIndex`), one module per backend.

Kinds (see each module for its trade-offs): ``flat`` (exact, :mod:`.flat`), ``hnsw``
(graph, :mod:`.hnsw`), ``ivf`` and ``ivfpq`` (inverted files, :mod:`.ivf`).
:func:`choose_kind` picks ``flat`` below :data:`EXACT_THRESHOLD` vectors and ``hnsw``
above. Corpora that repeat texts are best indexed one vector per distinct text (as
the search index does; see ``bench/bench_scale.py``, ``*-distinct``): same answers,
fewer vectors. FAISS is imported on first use, not with this package.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np

from indexer.errors import ArtifactError, ArtifactMismatchError, InvalidInputError
from indexer.search.vectors.base import (
    EXACT_THRESHOLD,
    KINDS,
    AnnParams,
    FaissIndex,
    IndexKind,
    VectorIndex,
    as_matrix,
    choose_kind,
    default_nlist,
    similarities,
)
from indexer.search.vectors.flat import FlatIndex
from indexer.search.vectors.hnsw import HnswIndex
from indexer.search.vectors.ivf import IvfIndex

_CREATE: dict[str, Callable[[int, AnnParams | None], FaissIndex]] = {
    "flat": FlatIndex.create,
    "hnsw": HnswIndex.create,
    "ivf": lambda dim, params: IvfIndex.create(dim, params, quantize=False),
    "ivfpq": lambda dim, params: IvfIndex.create(dim, params, quantize=True),
}


def create(dim: int, kind: IndexKind, params: AnnParams | None = None) -> FaissIndex:
    """An empty index of ``kind``. IVF kinds are untrained until the first ``add``."""
    try:
        factory = _CREATE[kind]
    except KeyError:
        raise InvalidInputError(f"unknown index kind {kind!r}; expected one of {KINDS}") from None
    return factory(dim, params)


def build(
    vectors: np.ndarray,
    kind: IndexKind | Literal["auto"] = "auto",
    params: AnnParams | None = None,
    threshold: int = EXACT_THRESHOLD,
) -> FaissIndex:
    """Index ``vectors`` (n × dim); ``kind="auto"`` applies :func:`choose_kind`."""
    matrix = as_matrix(vectors, None, "build")
    chosen = choose_kind(len(matrix), threshold) if kind == "auto" else kind
    index = create(matrix.shape[1], chosen, params)
    index.add(matrix)
    return index


def _wrap(raw: object) -> FaissIndex:
    import faiss

    # IVFPQ and IVFFlat are both IndexIVF subclasses.
    if isinstance(raw, faiss.IndexIVFPQ | faiss.IndexIVFFlat):
        return IvfIndex.wrap(raw)
    if isinstance(raw, faiss.IndexHNSWFlat):
        return HnswIndex.wrap(raw)
    if isinstance(raw, faiss.IndexFlatIP):
        return FlatIndex.wrap(raw)
    raise ArtifactError(f"unsupported FAISS index type {type(raw).__name__}")


def load(
    path: Path,
    *,
    expected_dim: int | None = None,
    expected_ntotal: int | None = None,
    expected_kind: IndexKind | None = None,
) -> FaissIndex:
    """Read an index written by ``save``; refuse a different dim, size or kind."""
    import faiss

    if not path.is_file():
        raise ArtifactError(f"{path}: vector index file not found")
    try:
        raw = faiss.read_index(str(path))
    except RuntimeError as exc:  # FAISS reports corrupt files as RuntimeError
        raise ArtifactError(f"{path}: unreadable vector index: {exc}") from exc
    index = _wrap(raw)
    artifact = f"vector index {path}"
    if expected_kind is not None and index.kind != expected_kind:
        raise ArtifactMismatchError(artifact, "kind", expected_kind, index.kind)
    if expected_dim is not None and index.dim != expected_dim:
        raise ArtifactMismatchError(artifact, "dim", expected_dim, index.dim)
    if expected_ntotal is not None and index.ntotal != expected_ntotal:
        raise ArtifactMismatchError(artifact, "ntotal", expected_ntotal, index.ntotal)
    return index


__all__ = [
    "EXACT_THRESHOLD",
    "KINDS",
    "AnnParams",
    "FaissIndex",
    "FlatIndex",
    "HnswIndex",
    "IndexKind",
    "IvfIndex",
    "VectorIndex",
    "build",
    "choose_kind",
    "create",
    "default_nlist",
    "load",
    "similarities",
]
