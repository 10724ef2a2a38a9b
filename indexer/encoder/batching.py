"""Micro-batching: concurrent callers' query texts are encoded together, one batch at a time.

A server encodes one short query per request. Encoding eight queries in one
call costs far less than eight calls (one graph run, one tokenizer pass), so
:class:`BatchingEncoder` collects the texts of callers that arrive while a batch
is being encoded and encodes them together next.

There is no worker thread: the callers take turns. A caller that finds the
encoder idle encodes its own texts at once, on its own thread — a lone request
pays neither a wait nor a thread switch. Callers that arrive meanwhile queue up;
when a batch is done, its encoder hands the turn to the first queued caller,
which encodes everything queued (up to ``max_batch`` texts). Only when others were
queued — the server is busy — does that caller wait up to ``max_wait_ms`` for
more batch mates. Callers get their own rows back, so the wrapper is an ordinary
``Encoder`` to the search index and the classifier.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from indexer.encoder.base import Encoder
from indexer.errors import ArtifactError


class EncoderClosedError(ArtifactError):
    """The batching encoder was shut down; no more texts are encoded."""


@dataclass(eq=False)
class _Request:
    texts: list[str]
    wake: threading.Event = field(default_factory=threading.Event)
    vectors: np.ndarray | None = None
    error: BaseException | None = None
    done: bool = False
    turn: bool = False  # set when this caller is to encode the next batch


class BatchingEncoder:
    """``Encoder`` that batches concurrent ``encode_queries`` calls of many threads.

    ``encode_passages`` (bulk ingest work, already batched by its caller) goes
    straight to the wrapped encoder. If a batch fails, each of its requests is
    retried alone, so an error reaches only the caller whose texts caused it.
    :meth:`close` lets the queued requests be encoded, then returns; later calls
    raise ``EncoderClosedError``.
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
        self._busy = False  # a caller is collecting or encoding a batch
        self._closed = False

    @property
    def queued(self) -> int:
        """Requests waiting for their batch (not counting the one being encoded)."""
        with self._cond:
            return len(self._queue)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for ``texts``, encoded in one batch with other callers' texts."""
        request = _Request(list(texts))
        if not request.texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._cond:
            if self._closed:
                raise EncoderClosedError("encoder: shutting down, no more queries are encoded")
            self._queue.append(request)
            request.turn = not self._busy
            self._busy = True
            self._cond.notify_all()  # a caller collecting batch mates may take this one
        if not request.turn:
            request.wake.wait()
        if not request.done:
            self._take_turn()
        if request.vectors is None:
            raise request.error or EncoderClosedError("encoder: no vectors were made")
        return request.vectors

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for passages, from the wrapped encoder directly."""
        return self.inner.encode_passages(texts)

    def close(self, timeout: float | None = 30.0) -> None:
        """Refuse new calls, and wait (up to ``timeout`` s) until the queued ones are encoded."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._closed = True
            while self._busy:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return
                self._cond.wait(remaining)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    def _take_turn(self) -> None:
        """Collect a batch (this caller's request is first in the queue), encode it, pass the turn on."""
        batch: list[_Request] = []
        try:
            with self._cond:
                batch = self._collect()
            self._encode(batch)
        finally:
            for request in batch:
                if request.vectors is None and request.error is None:  # the encode was interrupted
                    request.error = EncoderClosedError("encoder: the batch was interrupted")
                request.done = True
                request.wake.set()
            with self._cond:
                if self._queue:
                    self._queue[0].turn = True
                    self._queue[0].wake.set()
                else:
                    self._busy = False
                    self._cond.notify_all()

    def _collect(self) -> list[_Request]:
        """The queued requests up to ``max_batch`` texts; called with the lock held."""
        batch = [self._queue.popleft()]
        size = len(batch[0].texts)
        size = self._take_fitting(batch, size)
        # A lone caller is encoded at once. Others queued behind it mean the server
        # is busy, so more queries are likely on their way: wait a little for them.
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
        self.batches += 1
        try:
            vectors = self.inner.encode_queries([t for r in batch for t in r.texts])
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
                return
            for request in batch:  # find whose texts fail: only that caller gets the error
                self._encode([request])
            return
        start = 0
        for request in batch:
            request.vectors = vectors[start : start + len(request.texts)]
            start += len(request.texts)
