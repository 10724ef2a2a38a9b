"""``flat``: exact brute force (``IndexFlatIP``).

No build cost, ~``4·dim`` bytes per vector, search cost linear in ``n``. The right
choice up to a few hundred thousand vectors, and the one the product uses.
"""

from __future__ import annotations

from indexer.errors import InvalidInputError
from indexer.search.vectors.base import AnnParams, FaissIndex


class FlatIndex(FaissIndex):
    """Exact inner-product search."""

    kind = "flat"

    @classmethod
    def create(cls, dim: int, params: AnnParams | None = None) -> FlatIndex:
        """An empty exact index of dimension ``dim``."""
        import faiss

        if dim <= 0:
            raise InvalidInputError(f"dim must be positive, got {dim}")
        return cls(faiss.IndexFlatIP(dim), dim, params)

    @classmethod
    def wrap(cls, raw: object) -> FlatIndex:
        """Wrap a loaded ``faiss.IndexFlatIP``."""
        return cls(raw, raw.d)  # type: ignore[attr-defined]
