"""Settings → core objects: the one place the edge turns configuration into explicit values.

The CLI commands, the build pipeline and the server's lifespan all open the
corpus, encoder, search index and classifier through these functions. Heavy
modules are imported inside them: importing ``api`` loads no model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from api.settings import Settings
from indexer.corpus import Corpus
from indexer.errors import ArtifactError

if TYPE_CHECKING:
    from classifier.model import IndicatorClassifier
    from classifier.review import Reviewer
    from indexer.encoder.base import Encoder
    from indexer.search import SearchIndex
    from indexer.store import CorpusStore


def open_store(settings: Settings) -> CorpusStore:
    """The corpus database at ``settings.db_path`` (created by the first ingest)."""
    from indexer.store import CorpusStore

    return CorpusStore(settings.db_path, busy_timeout_s=settings.store_busy_timeout_s)


def load_corpus(settings: Settings, required: bool = True) -> Corpus:
    """The stored corpus; ``ArtifactError`` when ``required`` and nothing was ingested yet."""
    if required and not settings.db_path.is_file():
        raise ArtifactError(f"no corpus database at {settings.db_path} (run `jixiao build`)")
    return open_store(settings).load()


def open_encoder(
    settings: Settings,
    num_threads: int | None = None,
    lazy: bool = False,
    one_query: bool = False,
    quick_check: bool = False,
) -> Encoder:
    """The configured encoder (``settings.encoder`` from ``settings.encoder_dir``);
    ``lazy``: checked now, the model loaded at the first encode. ``one_query``: the
    process tokenises a few texts, so the start-up tables (``indexer.startup``) replace
    the whole dictionaries when they are current — jieba's for BM25 from now on, and the
    encoder's tokenizer (same tokens either way) — and the pre-optimised encoder graph.
    ``quick_check`` (implied by ``one_query``): artifact files whose size and mtime are as
    built are not hashed again, for a one-shot command."""
    from indexer.encoder import load_encoder

    piece_table = optimized = None
    if one_query and settings.encoder != "fake":
        from indexer import tokenize
        from indexer.startup import open_startup

        tables = open_startup(settings.startup_dir, settings.onnx_encoder_dir, trust_stats=True)
        if tables is not None:
            tokenize.use_table(tables.jieba)
            piece_table, optimized = tables.pieces, tables.model

    return load_encoder(
        settings.encoder,
        settings.encoder_dir,
        batch_size=settings.encoder_batch_size,
        num_threads=num_threads,
        backend=settings.encoder_backend,
        onnx_dir=settings.onnx_encoder_dir,
        lazy=lazy,
        piece_table=piece_table,
        optimized_model=optimized,
        trust_stats=one_query or quick_check,
    )


def index_options(settings: Settings) -> dict[str, Any]:
    """Query-time options of the search index: ``fusion`` and ``candidates``."""
    return {"fusion": settings.fusion, "candidates": settings.candidates}


def open_index(settings: Settings, corpus: Corpus, encoder: Encoder) -> SearchIndex:
    """The stored search index, checked against ``corpus`` and ``encoder``."""
    from indexer.search import load_index

    return load_index(settings.index_dir, corpus, encoder, **index_options(settings))


def open_classifier(
    settings: Settings, encoder: Encoder, corpus: Corpus | None = None
) -> IndicatorClassifier:
    """The stored classifier (pinned to ``corpus`` when given), with the configured
    review threshold if one is set, else the one it tuned when trained."""
    from classifier.model import IndicatorClassifier

    return IndicatorClassifier.load(
        settings.classifier_dir, encoder, corpus=corpus, threshold=settings.review_threshold
    )


def open_reviewer(
    settings: Settings,
    corpus: Corpus,
    encoder: Encoder | None,
    index: SearchIndex | None,
    classifier: IndicatorClassifier | None,
) -> Reviewer:
    """The review assistant over these components, with the configured thresholds (built lazily)."""
    from classifier.review import Reviewer

    return Reviewer(corpus, encoder, index, classifier, settings.review_config)
