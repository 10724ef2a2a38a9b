"""``SearchIndex``: hybrid (BM25 + dense) project search and similar projects, in memory.

The query side only: ``indexer.search.persist`` builds, stores, loads and
refreshes it. The index holds the corpus it was built for, its documents, the
BM25 index, one vector per unique document text (exact inner-product search
through ``indexer.search.vectors``) and a small cache of query vectors.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from indexer.corpus import Corpus
from indexer.encoder.base import Encoder
from indexer.records import Hit, Project, SimilarHit
from indexer.search.documents import Documents
from indexer.search.embed import text_key
from indexer.search.evidence import best_document, make_evidence
from indexer.search.fusion import DEFAULT_CANDIDATES, TUNED, Fusion, Ranking, rank_projects, side_ranks
from indexer.search.lexical import LexicalIndex
from indexer.search.query import ProjectFilter, SearchPage, SearchQuery
from indexer.search.similar import SimilarityModel, indicator_vocabularies, project_vectors
from indexer.search.vectors import build as build_vector_index
from indexer.search.vectors import similarities
from indexer.tokenize import tokenize

# Tokens this common (idf below) are not highlighted in similar-project evidence.
SIMILAR_HIGHLIGHT_MIN_IDF = 1.0
# Query vectors kept (paging through results re-runs the same query text).
QUERY_CACHE_SIZE = 256
# The dense side looks at this many texts per candidate project when the index is
# too large to score every text (see ``vectors.similarities``).
TEXTS_PER_CANDIDATE = 20


@dataclass(frozen=True)
class SideScores:
    """Both sides' raw scores for one query text, before filtering and fusion."""

    tokens: list[str]
    bm25: np.ndarray  # per project; 0 = no lexical match
    dense: np.ndarray  # per project: best document cosine; -inf = not scored
    text_similarities: np.ndarray | None  # per unique text; None when the dense side did not run


class SearchIndex:
    """Hybrid search over the projects of one corpus, for one encoder."""

    def __init__(
        self,
        corpus: Corpus,
        encoder: Encoder,
        docs: Documents,
        lexical: LexicalIndex,
        text_vectors: np.ndarray,
        manifest: Mapping[str, Any],
        directory: Path | None = None,
        fusion: Fusion | None = None,
        candidates: int = DEFAULT_CANDIDATES,
    ) -> None:
        """Use ``indexer.search.persist`` (``build_index``/``load_index``) to make one.

        ``text_vectors`` has one row per ``docs.texts`` entry; ``fusion`` (default:
        the shipped ``fusion.TUNED``) and ``candidates`` (depth of each side's
        ranking) are query-time settings.
        """
        self.corpus = corpus
        self.encoder = encoder
        self.docs = docs
        self.manifest = dict(manifest)
        self.directory = directory
        self.fusion = fusion or TUNED
        self.candidates = candidates
        self._lexical = lexical
        self._text_vectors = np.ascontiguousarray(text_vectors, dtype=np.float32)
        self._dense = build_vector_index(self._text_vectors, "flat")
        self._starts = docs.starts
        self._ends = np.r_[self._starts[1:], len(docs)]
        self._filter = ProjectFilter(corpus)
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._query_lock = threading.Lock()

    @property
    def n_projects(self) -> int:
        """Number of indexed projects."""
        return len(self.corpus)

    @property
    def encoder_name(self) -> str:
        """Name of the encoder the vectors were made with."""
        return str(self.manifest.get("encoder", self.encoder.name))

    def vector_map(self) -> dict[bytes, np.ndarray]:
        """Text key → vector of every indexed text (for rebuilding without re-embedding)."""
        return {text_key(t): v for t, v in zip(self.docs.texts, self._text_vectors, strict=True)}

    # ------------------------------------------------------------------ search

    def side_scores(self, text: str, dense: bool = True, lexical: bool = True) -> SideScores:
        """BM25 and dense scores of every project for ``text`` (no filters, no fusion)."""
        n = self.n_projects
        tokens = tokenize(text)
        bm25 = self._lexical.scores(tokens) if lexical else np.zeros(n, dtype=np.float32)
        if not dense:
            return SideScores(tokens, bm25, np.full(n, -np.inf, dtype=np.float32), None)
        query_vector = self.query_vector(text)
        text_sims = similarities(self._dense, query_vector, k=self.candidates * TEXTS_PER_CANDIDATE)
        doc_sims = text_sims[self.docs.text]
        project_dense = np.maximum.reduceat(doc_sims, self._starts) if len(doc_sims) else np.zeros(0)
        return SideScores(tokens, bm25, project_dense.astype(np.float32), text_sims)

    def query_vector(self, text: str) -> np.ndarray:
        """The encoder's vector for query ``text`` (the last few are cached)."""
        with self._query_lock:
            cached = self._query_cache.get(text)
            if cached is not None:
                self._query_cache.move_to_end(text)
                return cached
        vector = np.asarray(self.encoder.encode_queries([text])[0], dtype=np.float32)
        with self._query_lock:
            self._query_cache[text] = vector
            while len(self._query_cache) > QUERY_CACHE_SIZE:
                self._query_cache.popitem(last=False)
        return vector

    def clear_query_cache(self) -> None:
        """Forget cached query vectors (benchmarks measure uncached queries)."""
        with self._query_lock:
            self._query_cache.clear()

    def _rank(self, query: SearchQuery) -> tuple[SideScores, Ranking]:
        query.validate()
        query = query.normalised()
        mask = self._filter.mask(query)
        sides = self.side_scores(query.text, dense=query.mode != "bm25", lexical=query.mode != "dense")
        return sides, rank_projects(sides.bm25, sides.dense, mask, self.fusion, self.candidates, query.mode)

    def search_ids(self, query: SearchQuery) -> list[str]:
        """The ids of the projects :meth:`search` ranks for ``query``, in its order, without
        building their evidence (for callers that only need which projects match)."""
        _, ranking = self._rank(query)
        window = ranking.order[query.offset : query.offset + query.limit]
        return [self.corpus.projects[int(p)].id for p in window]

    def search(self, query: SearchQuery) -> SearchPage:
        """Ranked projects for ``query``, each with evidence and its score breakdown."""
        sides, ranking = self._rank(query)
        window = ranking.order[query.offset : query.offset + query.limit]
        fused = ranking.fused[query.offset : query.offset + query.limit]
        hits = tuple(
            self._hit(int(p), float(score), sides, ranking) for p, score in zip(window, fused, strict=True)
        )
        return SearchPage(hits=hits, total=int(ranking.order.size), offset=query.offset, limit=query.limit)

    def _hit(self, p: int, score: float, sides: SideScores, ranking: Ranking) -> Hit:
        project = self.corpus.projects[p]
        start, end = int(self._starts[p]), int(self._ends[p])
        doc_scores = None
        if sides.text_similarities is not None:
            doc_scores = sides.text_similarities[self.docs.text[start:end]]
        doc = best_document(self.docs, start, end, sides.tokens, self._lexical.idf, doc_scores)
        bm25_rank = int(ranking.bm25_rank[p]) or None
        dense_rank = int(ranking.dense_rank[p]) or None
        return Hit(
            project_id=project.id,
            project_name=project.name,
            district=project.district,
            department=project.department,
            score=score,
            evidence=make_evidence(self.docs, doc, project, sides.tokens),
            amount_total=project.amounts.total,
            bm25_rank=bm25_rank,
            dense_rank=dense_rank,
            bm25_score=float(sides.bm25[p]) if bm25_rank else None,
            dense_score=float(sides.dense[p]) if dense_rank else None,
            **region_and_year(project),
        )

    # ------------------------------------------------------------------ similar

    @cached_property
    def similarity_model(self) -> SimilarityModel:
        """Project vectors and indicator vocabularies (computed on first use)."""
        return SimilarityModel(
            vectors=project_vectors(self.docs, self._text_vectors, self.n_projects),
            vocabularies=indicator_vocabularies(self.corpus),
            weight=self._lexical.idf,
        )

    def similar(
        self, project_id: str, k: int = 10, include_same_district: bool = False, year: int | None = None
    ) -> list[SimilarHit]:
        """The ``k`` projects most like ``project_id`` (by name, goal and indicator
        set), from other districts unless ``include_same_district``, of budget year
        ``year`` when given.

        Each hit carries the combined similarity, the cosine of the project
        vectors and the idf-weighted Jaccard overlap of the indicator
        vocabularies, with their ranks. ``NotFoundError`` for an unknown id.
        """
        source_project = self.corpus.get(project_id)
        source = next(i for i, p in enumerate(self.corpus.projects) if p.id == project_id)
        if k < 1:
            return []
        model = self.similarity_model
        combined, cosine, overlap = model.scores(source)
        eligible = np.ones(self.n_projects, dtype=bool)
        eligible[source] = False
        if not include_same_district:
            eligible &= np.array([p.district != source_project.district for p in self.corpus.projects])
        if year is not None:
            eligible &= np.array([p.budget_year == year for p in self.corpus.projects])
        candidates = np.flatnonzero(eligible)
        order = candidates[np.lexsort((candidates, -combined[candidates]))][:k]
        cosine_rank = side_ranks(cosine, eligible, self.n_projects)
        overlap_rank = side_ranks(overlap, eligible, self.n_projects)
        source_tokens = [
            t
            for t in dict.fromkeys(tokenize(source_project.name) + tokenize(source_project.goal))
            if self._lexical.idf(t) >= SIMILAR_HIGHLIGHT_MIN_IDF
        ]
        hits: list[SimilarHit] = []
        for p in order:
            p = int(p)
            project = self.corpus.projects[p]
            start, end = int(self._starts[p]), int(self._ends[p])
            doc_scores = self._text_vectors[self.docs.text[start:end]] @ model.vectors[source]
            doc = best_document(self.docs, start, end, source_tokens, self._lexical.idf, doc_scores)
            hits.append(
                SimilarHit(
                    project_id=project.id,
                    project_name=project.name,
                    district=project.district,
                    department=project.department,
                    score=float(combined[p]),
                    evidence=make_evidence(self.docs, doc, project, source_tokens),
                    cosine=float(cosine[p]),
                    cosine_rank=int(cosine_rank[p]),
                    overlap=float(overlap[p]),
                    overlap_rank=int(overlap_rank[p]),
                    amount_total=project.amounts.total,
                    **region_and_year(project),
                )
            )
        return hits


def region_and_year(project: Project) -> dict[str, str | int | None]:
    """The region and budget-year fields a hit copies from its project."""
    return {
        "province": project.province,
        "city": project.city,
        "county": project.county,
        "budget_year": project.budget_year,
    }


__all__ = ["SearchIndex", "SideScores", "region_and_year"]
