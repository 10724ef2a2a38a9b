"""Hybrid project search: BM25 over jieba tokens + dense vectors in FAISS, fused by RRF.

Importing this package is cheap; FAISS, bm25s and jieba load on first use.
"""

from indexer.search.fusion import Fusion
from indexer.search.index import SearchIndex, SideScores
from indexer.search.query import SearchPage, SearchQuery

__all__ = ["Fusion", "SearchIndex", "SearchPage", "SearchQuery", "SideScores"]
