"""``SearchIndex``: hybrid (BM25 + dense) project search, similar projects, persistence.

On disk (one artifact directory, written atomically by ``indexer.artifacts``)::

    manifest.json    encoder, dim, corpus hash, tokenizer fingerprint, counts
    projects.json    project ids in corpus order
    texts.json       the unique document texts (row i ↔ FAISS vector i)
    documents.npz    document columns: project, kind, text, indicator position
    vectors.faiss    IndexFlatIP over the unique texts (the only copy of the vectors)
    bm25/            bm25s sparse matrix (.npy) + vocabulary and params (JSON)

No pickle anywhere. Loading checks everything against the corpus and encoder
it is given and raises ``ArtifactMismatchError`` naming what differs.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from indexer.artifacts import read_manifest, write_artifact
from indexer.corpus import Corpus
from indexer.encoder.base import Encoder
from indexer.errors import ArtifactError, ArtifactMismatchError, InvalidInputError
from indexer.records import Hit
from indexer.search.dense import DenseIndex, ProgressFn, embed_unique
from indexer.search.documents import KINDS, Documents, build_documents
from indexer.search.evidence import best_document, make_evidence
from indexer.search.fusion import Fusion, Ranking, rank_projects
from indexer.search.lexical import LexicalIndex
from indexer.search.query import ProjectFilter, SearchPage, SearchQuery
from indexer.search.similar import SimilarityModel, indicator_vocabularies, project_vectors
from indexer.settings import Settings, get_settings
from indexer.tokenize import fingerprint, tokenize

log = logging.getLogger("jixiao.search")

KIND = "search-index"
FORMAT_VERSION = 1
PROJECTS_FILE = "projects.json"
TEXTS_FILE = "texts.json"
DOCUMENTS_FILE = "documents.npz"
FAISS_FILE = "vectors.faiss"
BM25_DIR = "bm25"
# Tokens this common (idf below) are not highlighted in similar-project evidence.
SIMILAR_HIGHLIGHT_MIN_IDF = 1.0
# Query vectors kept (paging through results re-runs the same query text).
QUERY_CACHE_SIZE = 256


@dataclass(frozen=True)
class SideScores:
    """Both sides' raw scores for one query text, before filtering and fusion."""

    tokens: list[str]
    bm25: np.ndarray  # per project; 0 = no lexical match
    dense: np.ndarray  # per project: best document cosine; -inf = not scored
    text_similarities: np.ndarray | None  # per unique text; None when the dense side did not run


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path}: unreadable: {exc}") from exc


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")


class SearchIndex:
    """Hybrid search over the projects of one corpus, for one encoder."""

    def __init__(
        self,
        corpus: Corpus,
        encoder: Encoder,
        docs: Documents,
        lexical: LexicalIndex,
        dense: DenseIndex,
        manifest: Mapping[str, Any],
        directory: Path | None = None,
        settings: Settings | None = None,
    ) -> None:
        settings = settings or get_settings()
        self.corpus = corpus
        self.encoder = encoder
        self.docs = docs
        self.manifest = dict(manifest)
        self.directory = directory
        self.fusion = Fusion.from_settings(settings)
        self.candidates = settings.candidates
        self._settings = settings
        self._lexical = lexical
        self._dense = dense
        self._starts = docs.starts
        self._ends = np.r_[self._starts[1:], len(docs)]
        self._filter = ProjectFilter(corpus)
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._query_lock = threading.Lock()

    # ------------------------------------------------------------------ identity

    @property
    def n_projects(self) -> int:
        """Number of indexed projects."""
        return len(self.corpus)

    @property
    def encoder_name(self) -> str:
        """Name of the encoder the vectors were made with."""
        return str(self.manifest.get("encoder", self.encoder.name))

    def with_fusion(self, fusion: Fusion) -> SearchIndex:
        """A view of this index fusing with other RRF parameters (shares all data)."""
        clone = object.__new__(SearchIndex)
        clone.__dict__.update({k: v for k, v in self.__dict__.items() if k != "similarity_model"})
        clone.fusion = fusion
        return clone

    # ------------------------------------------------------------------ build

    @classmethod
    def build(
        cls,
        corpus: Corpus,
        encoder: Encoder,
        out_dir: Path,
        *,
        reuse: Mapping[str, np.ndarray] | None = None,
        settings: Settings | None = None,
        progress: ProgressFn | None = None,
    ) -> SearchIndex:
        """Index ``corpus`` with ``encoder`` and write it to ``out_dir`` atomically.

        Texts found in ``reuse`` (text → vector, e.g. from the previous index)
        are not embedded again. ``progress(done, total)`` is called as texts
        are embedded. If anything fails, ``out_dir`` keeps its old content.
        """
        out_dir = Path(out_dir)
        if not len(corpus):
            raise InvalidInputError("search index: the corpus has no projects (ingest tables first)")
        docs = build_documents(corpus)
        vectors, n_encoded = embed_unique(docs.texts, encoder, reuse, progress)
        dense = DenseIndex.from_vectors(vectors)
        lexical = LexicalIndex.build(corpus)
        kind_counts = np.bincount(docs.kind, minlength=len(KINDS))
        fields: dict[str, Any] = {
            "encoder": encoder.name,
            "dim": encoder.dim,
            "tokenizer": fingerprint(),
            "corpus_hash": corpus.content_hash,
            "n_projects": len(corpus),
            "n_indicators": corpus.n_indicators,
            "n_documents": len(docs),
            "documents_by_kind": {k: int(n) for k, n in zip(KINDS, kind_counts, strict=True)},
            "n_unique_texts": len(docs.texts),
            "n_vectors": dense.ntotal,
            "n_encoded": n_encoded,
            "n_reused": len(docs.texts) - n_encoded,
        }

        def write(tmp: Path) -> Mapping[str, Any]:
            _write_json(tmp / PROJECTS_FILE, [p.id for p in corpus.projects])
            _write_json(tmp / TEXTS_FILE, list(docs.texts))
            np.savez(tmp / DOCUMENTS_FILE, **docs.arrays())
            dense.save(tmp / FAISS_FILE)
            lexical.save(tmp / BM25_DIR)
            return fields

        manifest = write_artifact(out_dir, KIND, FORMAT_VERSION, write)
        log.info(
            "search index: %d projects, %d documents, %d texts (%d embedded)",
            len(corpus),
            len(docs),
            len(docs.texts),
            n_encoded,
        )
        return cls(corpus, encoder, docs, lexical, dense, manifest, out_dir, settings)

    # ------------------------------------------------------------------ load

    @classmethod
    def load(
        cls, index_dir: Path, corpus: Corpus, encoder: Encoder, settings: Settings | None = None
    ) -> SearchIndex:
        """Open an index built for exactly this ``corpus`` and ``encoder``.

        Raises ``ArtifactError`` when missing or unreadable and
        ``ArtifactMismatchError`` (field, expected, found) when the encoder name
        or dim, the tokenizer, the corpus hash, a count or a file hash differs.
        """
        index_dir = Path(index_dir)
        manifest = read_manifest(
            index_dir,
            KIND,
            FORMAT_VERSION,
            expected={
                "encoder": encoder.name,
                "dim": encoder.dim,
                "tokenizer": fingerprint(),
                "corpus_hash": corpus.content_hash,
                "n_projects": len(corpus),
                "n_indicators": corpus.n_indicators,
            },
        )
        where = str(index_dir)
        ids = _read_json(index_dir / PROJECTS_FILE)
        if ids != [p.id for p in corpus.projects]:
            raise ArtifactMismatchError(
                where, "project ids", f"{len(corpus)} corpus ids", f"{len(ids)} other ids"
            )
        docs = build_documents(corpus)
        texts = _read_json(index_dir / TEXTS_FILE)
        for field, want, got in (
            ("n_documents", len(docs), manifest.get("n_documents")),
            ("n_unique_texts", len(docs.texts), manifest.get("n_unique_texts")),
            ("n_unique_texts", len(docs.texts), len(texts)),
        ):
            if want != got:
                raise ArtifactMismatchError(where, field, want, got)
        if tuple(texts) != docs.texts:
            raise ArtifactMismatchError(where, TEXTS_FILE, "texts of the corpus", "different texts")
        try:
            with np.load(index_dir / DOCUMENTS_FILE, allow_pickle=False) as stored:
                for name, column in docs.arrays().items():
                    if not np.array_equal(stored[name], column):
                        raise ArtifactMismatchError(where, f"documents.{name}", "the corpus layout", "other")
        except (OSError, ValueError, KeyError) as exc:
            raise ArtifactError(f"{index_dir / DOCUMENTS_FILE}: unreadable: {exc}") from exc
        dense = DenseIndex.load(index_dir / FAISS_FILE, encoder.dim, len(docs.texts))
        lexical = LexicalIndex.load(index_dir / BM25_DIR, len(corpus))
        return cls(corpus, encoder, docs, lexical, dense, manifest, index_dir, settings)

    @classmethod
    def stored_vectors(cls, index_dir: Path, encoder: Encoder) -> dict[str, np.ndarray]:
        """Text → vector of an intact index built with ``encoder`` (any corpus);
        empty when there is none. Used to rebuild without re-embedding."""
        index_dir = Path(index_dir)
        try:
            manifest = read_manifest(
                index_dir, KIND, FORMAT_VERSION, expected={"encoder": encoder.name, "dim": encoder.dim}
            )
            texts = _read_json(index_dir / TEXTS_FILE)
            dense = DenseIndex.load(index_dir / FAISS_FILE, encoder.dim, int(manifest.get("n_vectors", -1)))
        except ArtifactError as exc:
            log.info("no reusable vectors in %s: %s", index_dir, exc)
            return {}
        if len(texts) != dense.ntotal:
            return {}
        return dict(zip(texts, dense.vectors(), strict=True))

    @classmethod
    def refresh(
        cls,
        index_dir: Path,
        corpus: Corpus,
        encoder: Encoder,
        settings: Settings | None = None,
        progress: ProgressFn | None = None,
    ) -> tuple[SearchIndex, str]:
        """Load the index if it matches, else rebuild it reusing every stored vector.

        Returns the index and what happened: ``"up to date"``, ``"updated"``
        (some vectors reused) or ``"built"``.
        """
        try:
            return cls.load(index_dir, corpus, encoder, settings), "up to date"
        except ArtifactError as exc:
            log.info("search index needs work: %s", exc)
        reuse = cls.stored_vectors(index_dir, encoder)
        index = cls.build(corpus, encoder, index_dir, reuse=reuse, settings=settings, progress=progress)
        return index, ("updated" if index.manifest.get("n_reused") else "built")

    def vector_map(self) -> dict[str, np.ndarray]:
        """Text → vector of every indexed text."""
        return dict(zip(self.docs.texts, self._dense.vectors(), strict=True))

    def add_projects(
        self, new_corpus: Corpus, out_dir: Path | None = None, progress: ProgressFn | None = None
    ) -> SearchIndex:
        """Index ``new_corpus`` (typically this corpus plus a newly ingested table),
        embedding only texts this index does not have, and write it atomically
        to ``out_dir`` (default: this index's directory)."""
        target = out_dir or self.directory
        if target is None:
            raise ArtifactError("add_projects: no output directory given and the index has none")
        return SearchIndex.build(
            new_corpus,
            self.encoder,
            target,
            reuse=self.vector_map(),
            settings=self._settings,
            progress=progress,
        )

    # ------------------------------------------------------------------ search

    def side_scores(self, text: str, dense: bool = True, lexical: bool = True) -> SideScores:
        """BM25 and dense scores of every project for ``text`` (no filters, no fusion)."""
        n = self.n_projects
        tokens = tokenize(text)
        bm25 = self._lexical.scores(tokens) if lexical else np.zeros(n, dtype=np.float32)
        if not dense:
            return SideScores(tokens, bm25, np.full(n, -np.inf, dtype=np.float32), None)
        query_vector = self.query_vector(text)
        text_sims = self._dense.similarities(query_vector, k=self.candidates * 20)
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

    def search(self, query: SearchQuery) -> SearchPage:
        """Ranked projects for ``query``, each with evidence and its score breakdown."""
        query.validate()
        text = query.text.strip()
        mask = self._filter.mask(query)
        sides = self.side_scores(text, dense=query.mode != "bm25", lexical=query.mode != "dense")
        ranking = rank_projects(sides.bm25, sides.dense, mask, self.fusion, self.candidates, query.mode)
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
        )

    # ------------------------------------------------------------------ similar

    @cached_property
    def similarity_model(self) -> SimilarityModel:
        """Project vectors and indicator vocabularies (computed on first use)."""
        text_vectors = self._dense.vectors()
        return SimilarityModel(
            vectors=project_vectors(self.docs, text_vectors, self.n_projects),
            vocabularies=indicator_vocabularies(self.corpus),
            weight=self._lexical.idf,
        )

    def similar(self, project_id: str, k: int = 10, include_same_district: bool = False) -> list[Hit]:
        """The ``k`` projects most like ``project_id`` (by name, goal and indicator
        set), from other districts unless ``include_same_district``.

        ``score`` is the combined similarity, ``dense_score`` the cosine of the
        project vectors, ``bm25_score`` the idf-weighted Jaccard overlap of the
        indicator vocabularies (ranks likewise). ``NotFoundError`` for an unknown id.
        """
        source_project = self.corpus.get(project_id)
        source = next(i for i, p in enumerate(self.corpus.projects) if p.id == project_id)
        if k < 1:
            return []
        model = self.similarity_model
        combined, cosine, jac = model.scores(source)
        eligible = np.ones(self.n_projects, dtype=bool)
        eligible[source] = False
        if not include_same_district:
            eligible &= np.array([p.district != source_project.district for p in self.corpus.projects])
        candidates = np.flatnonzero(eligible)
        order = candidates[np.lexsort((candidates, -combined[candidates]))][:k]
        cos_rank = _rank_among(cosine, candidates)
        jac_rank = _rank_among(jac, candidates)
        source_tokens = [
            t
            for t in dict.fromkeys(tokenize(source_project.name) + tokenize(source_project.goal))
            if self._lexical.idf(t) >= SIMILAR_HIGHLIGHT_MIN_IDF
        ]
        text_vectors = None
        hits: list[Hit] = []
        for p in order:
            p = int(p)
            project = self.corpus.projects[p]
            start, end = int(self._starts[p]), int(self._ends[p])
            if text_vectors is None:
                text_vectors = self._dense.vectors()
            doc_scores = text_vectors[self.docs.text[start:end]] @ model.vectors[source]
            doc = best_document(self.docs, start, end, source_tokens, self._lexical.idf, doc_scores)
            hits.append(
                Hit(
                    project_id=project.id,
                    project_name=project.name,
                    district=project.district,
                    department=project.department,
                    score=float(combined[p]),
                    evidence=make_evidence(self.docs, doc, project, source_tokens),
                    amount_total=project.amounts.total,
                    bm25_rank=int(jac_rank[p]),
                    dense_rank=int(cos_rank[p]),
                    bm25_score=float(jac[p]),
                    dense_score=float(cosine[p]),
                )
            )
        return hits


def _rank_among(scores: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    ranks = np.zeros(scores.shape[0], dtype=np.int64)
    order = candidates[np.lexsort((candidates, -scores[candidates]))]
    ranks[order] = np.arange(1, order.size + 1)
    return ranks


__all__ = ["SearchIndex", "SideScores"]
