"""The loaded service: corpus, encoder, search index and classifier, swapped as one.

A ``ServiceState`` is an immutable snapshot. Requests take the current snapshot
once (``api.deps.get_state``) and use only it, so an ingest that builds a new
snapshot and swaps the holder's reference never shows a request a mix of old
corpus and new index. Heavy modules are imported inside functions: importing
``api`` loads no model.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from api.loaders import load_corpus, open_classifier, open_encoder, open_index
from api.settings import Settings
from indexer.corpus import Corpus
from indexer.encoder.base import Encoder
from indexer.encoder.batching import BatchingEncoder
from indexer.errors import ArtifactError, JixiaoError

if TYPE_CHECKING:
    from classifier.model import IndicatorClassifier
    from indexer.search import SearchIndex

log = logging.getLogger("jixiao.api")


@dataclass(frozen=True)
class ServiceState:
    """One consistent snapshot of everything a request needs.

    A component is None when it could not be loaded; ``problems`` then says why,
    and ``/api/health`` reports not ready.
    """

    settings: Settings
    corpus: Corpus | None = None
    encoder: Encoder | None = None
    index: SearchIndex | None = None
    classifier: IndicatorClassifier | None = None
    problems: tuple[str, ...] = ()
    generation: int = 0
    loaded_at: float = field(default_factory=time.time)

    @property
    def ready(self) -> bool:
        """True when every artifact is loaded and consistent."""
        return not self.problems and None not in (self.corpus, self.encoder, self.index, self.classifier)

    def require_corpus(self) -> Corpus:
        """The corpus, or ``ArtifactError`` (HTTP 503) saying why it is missing."""
        return self._require("corpus", self.corpus)

    def require_encoder(self) -> Encoder:
        """The encoder, or ``ArtifactError``."""
        return self._require("encoder", self.encoder)

    def require_index(self) -> SearchIndex:
        """The search index, or ``ArtifactError``."""
        return self._require("index", self.index)

    def require_classifier(self) -> IndicatorClassifier:
        """The classifier, or ``ArtifactError``."""
        return self._require("classifier", self.classifier)

    def _require(self, name: str, value: Any) -> Any:
        if value is None:
            reasons = "; ".join(p for p in self.problems if p.startswith(name)) or f"{name} not loaded"
            raise ArtifactError(reasons)
        return value


def _attempt(problems: list[str], name: str, load: Callable[[], Any]) -> Any:
    try:
        return load()
    except (JixiaoError, OSError, ValueError) as exc:
        # The service still starts (health says why it is not ready) rather
        # than refusing to boot, so an operator can see the reason over HTTP.
        log.warning("%s not loaded: %s", name, exc)
        # A missing or stale artifact is what `jixiao build` makes: say so where it is not said yet.
        stale = isinstance(exc, ArtifactError) and "jixiao build" not in str(exc)
        hint = " (run `jixiao build`)" if stale else ""
        problems.append(f"{name}: {exc}{hint}")
        return None


def open_batching_encoder(settings: Settings) -> BatchingEncoder:
    """The server's encoder: concurrent requests' queries are encoded in one batch."""
    encoder = open_encoder(settings, num_threads=settings.encoder_threads)
    return BatchingEncoder(encoder, settings.query_batch_max, settings.query_batch_wait_ms)


def close_state(state: ServiceState) -> None:
    """Let the snapshot's query batcher finish its queued queries, and refuse new ones."""
    if isinstance(state.encoder, BatchingEncoder):
        state.encoder.close()


def load_state(settings: Settings, generation: int = 0) -> ServiceState:
    """Load corpus, encoder, index and classifier from ``settings.models_dir``.

    Each loader checks its artifact's manifest against what it is loaded with
    (corpus hash, encoder name and dim, file hashes), so a loaded set is consistent.
    """
    problems: list[str] = []
    corpus = _attempt(problems, "corpus", lambda: load_corpus(settings))
    encoder = _attempt(problems, "encoder", lambda: open_batching_encoder(settings))
    index = None
    classifier = None
    if corpus is not None and encoder is not None:
        index = _attempt(problems, "index", lambda: open_index(settings, corpus, encoder))
        # Not pinned to the corpus hash: after an HTTP ingest the model trained on the
        # previous corpus stays valid (it is checked against the encoder and its files).
        classifier = _attempt(problems, "classifier", lambda: open_classifier(settings, encoder))
    else:
        problems.append("index: not loaded (needs corpus and encoder)")
        problems.append("classifier: not loaded (needs encoder)")
    return ServiceState(
        settings, corpus, encoder, index, classifier, problems=tuple(problems), generation=generation
    )


class ServiceHolder:
    """The app's reference to the current snapshot, swapped atomically.

    Reading ``current`` is a single attribute load (atomic in CPython); writers
    serialise on ``write_lock`` so two ingests never interleave.
    """

    def __init__(self, state: ServiceState) -> None:
        self._state = state
        self.write_lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._cache: dict[tuple[str, str], Any] = {}

    @property
    def current(self) -> ServiceState:
        """The snapshot new requests should use."""
        return self._state

    def swap(self, state: ServiceState) -> ServiceState:
        """Install a new snapshot; returns the previous one. Call with ``write_lock`` held."""
        old, self._state = self._state, state
        return old

    def cached(self, kind: str, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per ``(kind, key)`` (e.g. a report per corpus hash), then reuse it."""
        with self._cache_lock:
            if (kind, key) in self._cache:
                return self._cache[(kind, key)]
            value = compute()
            # Keep only the newest entry of each kind: older corpora are gone.
            for stale in [k for k in self._cache if k[0] == kind]:
                del self._cache[stale]
            self._cache[(kind, key)] = value
            return value
