"""Hybrid project search: BM25 over jieba tokens + dense vectors in FAISS, fused by RRF.

``SearchIndex`` answers queries (``indexer.search.index``); ``build_index``,
``load_index``, ``refresh_index`` and ``stored_vectors`` make and keep it
(``indexer.search.persist``). Importing this package is cheap; FAISS, bm25s and
jieba load on first use.
"""

from indexer.search.fusion import Fusion
from indexer.search.index import SearchIndex, SideScores
from indexer.search.persist import build_index, load_index, refresh_index, stored_vectors
from indexer.search.query import SearchPage, SearchQuery

__all__ = [
    "Fusion",
    "SearchIndex",
    "SearchPage",
    "SearchQuery",
    "SideScores",
    "build_index",
    "load_index",
    "refresh_index",
    "stored_vectors",
]
