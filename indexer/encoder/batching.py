"""Micro-batching: concurrent callers' query texts are encoded together, on one thread.

A server encodes one short query per request. Encoding eight queries in one
call costs far less than eight calls (one graph run, one tokenizer pass, better
use of the cores), so :class:`BatchingEncoder` puts each caller's texts on a
queue and one worker thread takes what has arrived — waiting at most
``max_wait_ms`` after the first, up to ``max_batch`` texts — encodes it in one
call to the wrapped encoder, and hands each caller its own rows. Callers block
on their own future, so the wrapper is an ordinary ``Encoder`` to the search
index and the classifier.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

from indexer.encoder.base import Encoder
from indexer.errors import ArtifactError


class EncoderClosedError(ArtifactError):
    """The batching encoder was shut down; no more texts are encoded."""


@dataclass
class _Request:
    texts: list[str]
    future: Future[np.ndarray] = field(default_factory=Future)


_STOP = None


class BatchingEncoder:
    """``Encoder`` that batches concurrent ``encode_queries`` calls of many threads.

    ``encode_passages`` (bulk ingest work, already batched by its caller) goes
    straight to the wrapped encoder. If a batch fails, each of its requests is
    retried alone, so an error reaches only the caller whose texts caused it.
    :meth:`close` encodes what is already queued, then stops the worker; later
    calls raise ``EncoderClosedError``.
    """

    def __init__(self, inner: Encoder, max_batch: int = 32, max_wait_ms: float = 2.0) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, not {max_batch}")
        if max_wait_ms < 0:
            raise ValueError(f"max_wait_ms must not be negative, not {max_wait_ms}")
        self.inner = inner
        self.name: str = inner.name
        self.dim: int = inner.dim
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000
        self.batches = 0  # encoder calls made (tests and benchmarks read it)
        self._queue: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._worker = threading.Thread(target=self._run, name="jixiao-query-batcher", daemon=True)
        self._worker.start()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for ``texts``, encoded in one batch with other callers' texts."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        request = _Request(texts)
        with self._lock:
            if self._closed:
                raise EncoderClosedError("encoder: shutting down, no more queries are encoded")
            self._queue.put(request)
        return request.future.result()

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for passages, from the wrapped encoder directly."""
        return self.inner.encode_passages(texts)

    def close(self, timeout: float | None = 30.0) -> None:
        """Encode the queued requests, then stop the worker thread (idempotent)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._queue.put(_STOP)
        self._worker.join(timeout)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    def _run(self) -> None:
        carried: _Request | None = None
        while True:
            first = carried if carried is not None else self._queue.get()
            carried = None
            if first is _STOP:
                return
            batch, stop, carried = self._collect(first)
            self._encode(batch)
            if stop:
                return

    def _collect(self, first: _Request) -> tuple[list[_Request], bool, _Request | None]:
        """``first`` and what follows it within the wait, up to ``max_batch`` texts."""
        batch, size = [first], len(first.texts)
        deadline = time.monotonic() + self.max_wait
        while size < self.max_batch:
            try:
                timeout = deadline - time.monotonic()
                item = self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True, None
            if size + len(item.texts) > self.max_batch:
                return batch, False, item  # starts the next batch
            batch.append(item)
            size += len(item.texts)
        return batch, False, None

    def _encode(self, batch: list[_Request]) -> None:
        self.batches += 1
        try:
            vectors = self.inner.encode_queries([t for r in batch for t in r.texts])
        except BaseException as exc:
            if len(batch) == 1:
                batch[0].future.set_exception(exc)
                return
            for request in batch:  # find whose texts fail: only that caller gets the error
                self._encode([request])
            return
        start = 0
        for request in batch:
            request.future.set_result(vectors[start : start + len(request.texts)])
            start += len(request.texts)
