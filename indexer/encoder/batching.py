"""Micro-batching: concurrent callers' query texts are encoded together, one batch at a time.

A server encodes one short query per request. Encoding eight queries in one
call costs far less than eight calls (one graph run, one tokenizer pass), so
:class:`BatchingEncoder` collects the texts of callers that arrive while a batch
is being encoded and encodes them together next.

A caller that finds the encoder idle encodes its own texts at once, on its own
thread: a lone request pays neither a wait nor a thread switch. Callers that
arrive while something is being encoded queue up, and a worker thread encodes
the queue — up to ``max_batch`` texts a call — until it is empty. Only then,
when others are queued and the server is evidently busy, does a batch wait up
to ``max_wait_ms`` for more mates. Callers get their own rows back, so the
wrapper is an ordinary ``Encoder`` to the search index and the classifier.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from indexer.encoder.base import Encoder
from indexer.errors import ArtifactError


class EncoderClosedError(ArtifactError):
    """The batching encoder was shut down; no more texts are encoded."""


@dataclass(eq=False)
class _Request:
    texts: list[str]
    future: Future[np.ndarray] = field(default_factory=Future)


class BatchingEncoder:
    """``Encoder`` that batches concurrent ``encode_queries`` calls of many threads.

    ``encode_passages`` (bulk ingest work, already batched by its caller) goes
    straight to the wrapped encoder. If a batch fails, each of its requests is
    retried alone, so an error reaches only the caller whose texts caused it.
    :meth:`close` lets the queued requests be encoded, then stops the worker;
    later calls raise ``EncoderClosedError``.
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
        self._cond = threading.Condition()
        self._queue: deque[_Request] = deque()
        # Who encodes now: a caller its own texts, or the worker the queue. Requests
        # queue only while someone does, and the worker keeps the turn while any do.
        self._owner: Literal["caller", "worker"] | None = None
        # Once callers have queued, the worker encodes every call (handing the turn
        # from a caller to the worker costs a thread switch per batch under load)
        # until one of its batches is a lone request with nothing queued behind it.
        self._inline = True
        self._closed = False
        self._worker = threading.Thread(target=self._run, name="jixiao-query-batcher", daemon=True)
        self._worker.start()

    @property
    def queued(self) -> int:
        """Requests waiting for the worker (not counting a batch being encoded)."""
        with self._cond:
            return len(self._queue)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for ``texts``: at once when the encoder is idle, else batched with other callers'."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        request = None
        with self._cond:
            if self._closed:
                raise EncoderClosedError("encoder: shutting down, no more queries are encoded")
            if self._owner is None and self._inline:
                self._owner = "caller"
                self.batches += 1
            else:
                request = _Request(texts)
                self._queue.append(request)
                self._owner = self._owner or "worker"
                self._cond.notify_all()
        if request is not None:
            return request.future.result()
        try:
            return self.inner.encode_queries(texts)
        finally:
            with self._cond:
                # Callers that queued meanwhile are the worker's to encode.
                self._owner = "worker" if self._queue else None
                self._inline = not self._queue
                self._cond.notify_all()

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for passages, from the wrapped encoder directly."""
        return self.inner.encode_passages(texts)

    def close(self, timeout: float | None = 30.0) -> None:
        """Refuse new calls, let the queued ones be encoded, then stop the worker (idempotent)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._worker.join(timeout)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._owner != "worker" and not (self._closed and self._owner is None):
                    self._cond.wait()
                if self._owner != "worker":
                    return  # closed, and nothing left to encode
                batch = self._collect()
            self._encode(batch)
            with self._cond:
                if not self._queue:
                    self._owner = None
                    self._inline = len(batch) == 1
                    self._cond.notify_all()

    def _collect(self) -> list[_Request]:
        """Queued requests up to ``max_batch`` texts (at least one); called with the lock held."""
        batch = [self._queue.popleft()]
        size = self._take_fitting(batch, len(batch[0].texts))
        # Others queued behind the first mean the server is busy and more queries
        # are likely on their way: wait a little for them.
        if len(batch) > 1 and self.max_wait > 0:
            deadline = time.monotonic() + self.max_wait
            while size < self.max_batch and not self._next_too_big(size):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                if not self._queue:
                    self._cond.wait(remaining)
                size = self._take_fitting(batch, size)
        return batch

    def _take_fitting(self, batch: list[_Request], size: int) -> int:
        """Move queued requests into ``batch`` while they fit in ``max_batch`` texts."""
        while self._queue and not self._next_too_big(size):
            request = self._queue.popleft()
            batch.append(request)
            size += len(request.texts)
        return size

    def _next_too_big(self, size: int) -> bool:
        return bool(self._queue) and size + len(self._queue[0].texts) > self.max_batch

    def _encode(self, batch: list[_Request]) -> None:
        with self._cond:
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
