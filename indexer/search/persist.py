"""Building, storing, loading and refreshing the search index.

On disk (one artifact directory, written atomically by ``indexer.artifacts``)::

    manifest.json    encoder, dim, corpus hash, tokenizer fingerprint, documents version, counts
    vectors.npz      ``vectors`` float32 (n, dim): one per unique document text, in document order;
                     ``keys`` uint8 (n, 32): sha256 of each of those texts (see ``embed.text_key``)
    lexical.npz      the BM25 (token × project) score matrix (``lexical.LexicalIndex.save``)

The vectors are the one expensive thing to recompute. The BM25 matrix is derived
data kept for start-up: rebuilding it means tokenising the whole corpus with jieba
and importing ``bm25s``, most of a CLI command's start. An index without it (built
before it was stored) is still loaded and its BM25 side rebuilt. The documents are
cut from the corpus on load (milliseconds); the manifest's ``corpus_hash`` covers
every field they and the BM25 matrix derive from, ``documents_version`` the rules
that cut them and ``tokenizer`` the dictionary that tokenises them, so a stored
index is loaded only for the corpus it was built from. The keys let a rebuild for
another corpus reuse every vector of a text it already has. No pickle anywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from indexer.artifacts import promote_staged, read_manifest, staged_dir, write_artifact
from indexer.corpus import Corpus
from indexer.encoder.base import Encoder
from indexer.errors import ArtifactError, ArtifactMismatchError, InvalidInputError
from indexer.search.documents import DOCUMENTS_VERSION, KINDS, build_documents
from indexer.search.embed import KEY_BYTES, ProgressFn, embed_unique, text_keys
from indexer.search.fusion import DEFAULT_CANDIDATES, Fusion
from indexer.search.index import SearchIndex
from indexer.search.lexical import LEXICAL_FILE, LexicalIndex
from indexer.tokenize import fingerprint

log = logging.getLogger("jixiao.search")

KIND = "search-index"
FORMAT_VERSION = 2  # 2: vectors.npz + text keys (+ lexical.npz since issue 12; older dirs rebuild BM25)
VECTORS_FILE = "vectors.npz"


def _identity(corpus: Corpus, encoder: Encoder) -> dict[str, Any]:
    """The manifest fields that must match for a stored index to be loaded."""
    return {
        "encoder": encoder.name,
        "dim": encoder.dim,
        "tokenizer": fingerprint(),
        "documents_version": DOCUMENTS_VERSION,
        "corpus_hash": corpus.content_hash,
        "n_projects": len(corpus),
        "n_indicators": corpus.n_indicators,
    }


def _read_vectors(index_dir: Path, dim: int) -> tuple[np.ndarray, np.ndarray]:
    path = index_dir / VECTORS_FILE
    try:
        with np.load(path, allow_pickle=False) as stored:
            vectors, keys = stored["vectors"], stored["keys"]
    except (OSError, ValueError, KeyError) as exc:
        raise ArtifactError(f"{path}: unreadable: {exc}") from exc
    if vectors.ndim != 2 or vectors.shape[1] != dim or vectors.dtype != np.float32:
        found = f"{vectors.dtype} {vectors.shape}"
        raise ArtifactMismatchError(str(path), "vectors", f"float32 (n, {dim})", found)
    if keys.shape != (len(vectors), KEY_BYTES) or keys.dtype != np.uint8:
        raise ArtifactMismatchError(str(path), "keys", f"uint8 ({len(vectors)}, {KEY_BYTES})", keys.shape)
    return vectors, keys


def build_index(
    corpus: Corpus,
    encoder: Encoder,
    out_dir: Path,
    *,
    reuse: Mapping[bytes, np.ndarray] | None = None,
    fusion: Fusion | None = None,
    candidates: int = DEFAULT_CANDIDATES,
    progress: ProgressFn | None = None,
    staged: bool = False,
) -> SearchIndex:
    """Index ``corpus`` with ``encoder`` and write it to ``out_dir`` atomically.

    Texts whose key is in ``reuse`` (text key → vector, e.g. from the previous
    index) are not embedded again. ``progress(done, total)`` is called as texts
    are embedded. If anything fails, ``out_dir`` keeps its old content.
    ``fusion`` and ``candidates`` are query-time settings of the returned index.
    ``staged``: written to ``staged_dir(out_dir)`` and left there (``out_dir`` untouched)
    until the caller's ``promote_staged`` — for a corpus not committed yet.
    """
    out_dir = Path(out_dir)
    if not len(corpus):
        raise InvalidInputError("search index: the corpus has no projects (ingest tables first)")
    docs = build_documents(corpus)
    vectors, n_encoded = embed_unique(docs.texts, encoder, reuse, progress)
    lexical = LexicalIndex.build(corpus)
    kind_counts = np.bincount(docs.kind, minlength=len(KINDS))
    fields: dict[str, Any] = {
        **_identity(corpus, encoder),
        "n_documents": len(docs),
        "documents_by_kind": {k: int(n) for k, n in zip(KINDS, kind_counts, strict=True)},
        "n_unique_texts": len(docs.texts),
        "n_vectors": len(vectors),
        "n_encoded": n_encoded,
        "n_reused": len(docs.texts) - n_encoded,
    }

    def write(tmp: Path) -> Mapping[str, Any]:
        np.savez(tmp / VECTORS_FILE, vectors=vectors, keys=text_keys(docs.texts))
        lexical.save(tmp)
        return fields

    manifest = write_artifact(out_dir, KIND, FORMAT_VERSION, write, staged=staged)
    where = staged_dir(out_dir) if staged else out_dir
    log.info(
        "search index: %d projects, %d documents, %d texts (%d embedded)",
        len(corpus),
        len(docs),
        len(docs.texts),
        n_encoded,
    )
    return SearchIndex(corpus, encoder, docs, lexical, vectors, manifest, where, fusion, candidates)


def load_index(
    index_dir: Path,
    corpus: Corpus,
    encoder: Encoder,
    *,
    fusion: Fusion | None = None,
    candidates: int = DEFAULT_CANDIDATES,
) -> SearchIndex:
    """Open an index built for exactly this ``corpus`` and ``encoder``.

    Raises ``ArtifactError`` when missing or unreadable and
    ``ArtifactMismatchError`` (field, expected, found) when the encoder name or
    dim, the tokenizer, the documents version, the corpus hash, a count or a
    file hash differs.

    When ``index_dir`` was built for another corpus but its staged index
    (``indexer.artifacts.staged_dir``) is this corpus' — an ingest committed the
    corpus and died before swapping its index in, or is about to swap it — the
    staged one is loaded (read only; :func:`refresh_index` swaps it in). Its
    ``directory`` then says so.
    """
    index_dir = Path(index_dir)
    try:
        return _load_from(index_dir, corpus, encoder, fusion, candidates)
    except ArtifactMismatchError as mismatch:
        staged = staged_dir(index_dir)
        if not staged.is_dir():
            raise
        try:
            return _load_from(staged, corpus, encoder, fusion, candidates)
        except ArtifactError:
            pass
        # Swapped in between the two reads?
        try:
            return _load_from(index_dir, corpus, encoder, fusion, candidates)
        except ArtifactError:
            raise mismatch from None


def _load_from(
    index_dir: Path, corpus: Corpus, encoder: Encoder, fusion: Fusion | None, candidates: int
) -> SearchIndex:
    manifest = read_manifest(index_dir, KIND, FORMAT_VERSION, expected=_identity(corpus, encoder))
    docs = build_documents(corpus)
    vectors, _ = _read_vectors(index_dir, encoder.dim)
    for field, want, got in (
        ("n_documents", len(docs), manifest.get("n_documents")),
        ("n_unique_texts", len(docs.texts), manifest.get("n_unique_texts")),
        ("n_vectors", len(docs.texts), len(vectors)),
    ):
        if want != got:
            raise ArtifactMismatchError(str(index_dir), field, want, got)
    if LEXICAL_FILE in manifest.get("files", {}):
        lexical = LexicalIndex.load(index_dir, len(corpus))
    else:
        lexical = LexicalIndex.build(corpus)
    return SearchIndex(corpus, encoder, docs, lexical, vectors, manifest, index_dir, fusion, candidates)


def stored_vectors(index_dir: Path, encoder: Encoder) -> dict[bytes, np.ndarray]:
    """Text key → vector of an intact index built with ``encoder`` (any corpus);
    empty when there is none. Used to rebuild without re-embedding."""
    index_dir = Path(index_dir)
    try:
        read_manifest(index_dir, KIND, FORMAT_VERSION, expected={"encoder": encoder.name, "dim": encoder.dim})
        vectors, keys = _read_vectors(index_dir, encoder.dim)
    except ArtifactError as exc:
        log.info("no reusable vectors in %s: %s", index_dir, exc)
        return {}
    return {key.tobytes(): vector for key, vector in zip(keys, vectors, strict=True)}


def refresh_index(
    index_dir: Path,
    corpus: Corpus,
    encoder: Encoder,
    *,
    previous: SearchIndex | None = None,
    force: bool = False,
    fusion: Fusion | None = None,
    candidates: int = DEFAULT_CANDIDATES,
    progress: ProgressFn | None = None,
    staged: bool = False,
) -> tuple[SearchIndex, str]:
    """Load the index if it matches ``corpus``, else rebuild it reusing every known vector.

    Known vectors are those of ``previous`` (an index in memory, e.g. the one a
    server answers from) or else those stored in ``index_dir``. ``force`` rebuilds
    and re-embeds everything; an index without the stored BM25 matrix is rewritten
    with it (no vector re-embedded). Returns the index and what happened: ``"up to date"``,
    ``"updated"`` (some vectors reused) or ``"built"``. ``staged``: a new index is written
    staged (:func:`build_index`), for a corpus that is not committed yet; otherwise a staged
    index found matching ``corpus`` is swapped in.
    """
    options: dict[str, Any] = {"fusion": fusion, "candidates": candidates, "staged": staged}
    if force:
        return build_index(corpus, encoder, index_dir, progress=progress, **options), "built"
    try:
        loaded = load_index(index_dir, corpus, encoder, fusion=fusion, candidates=candidates)
        if loaded.directory == staged_dir(index_dir) and not staged:
            # Left by an ingest that committed its corpus and died before swapping this in.
            log.warning("search index: swapping in %s, built for the stored corpus", loaded.directory)
            promote_staged(index_dir)
            loaded.directory = Path(index_dir)
        if LEXICAL_FILE in loaded.manifest.get("files", {}):
            return loaded, "up to date"
        # Written before the BM25 matrix was stored: add it, reusing every vector.
        previous = loaded
    except ArtifactError as exc:
        log.info("search index needs work: %s", exc)
    reuse = previous.vector_map() if previous is not None else stored_vectors(index_dir, encoder)
    index = build_index(corpus, encoder, index_dir, reuse=reuse, progress=progress, **options)
    return index, ("updated" if index.manifest.get("n_reused") else "built")
