"""The query micro-batcher (fake encoder): a lone caller encodes at once on its own thread,
queued callers are batched (and wait for mates only then), errors reach the right caller,
shutdown, the server."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pytest
from api_support import session_models
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.state import load_state
from indexer.encoder import FakeEncoder
from indexer.encoder.batching import BatchingEncoder, EncoderClosedError


class RecordingEncoder(FakeEncoder):
    """Fake encoder that records each call's texts, can block, and fails on texts containing 'boom'."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []
        self.threads: list[int] = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        self.threads.append(threading.get_ident())
        self.entered.set()
        self.gate.wait(10)
        if any("boom" in t for t in texts):
            raise ValueError("cannot encode boom")
        return super().encode_queries(texts)


def _wait_until(condition: Callable[[], bool]) -> None:
    """Poll ``condition`` (other threads are getting there); fail after 10 s."""
    for _ in range(2000):
        if condition():
            return
        threading.Event().wait(0.005)
    raise AssertionError("condition not reached")


def test_a_lone_caller_is_encoded_at_once_on_its_own_thread():
    inner = RecordingEncoder()
    # A wait this long would hang the test if a lone caller waited for batch mates.
    batcher = BatchingEncoder(inner, max_batch=32, max_wait_ms=600_000)
    results: dict[str, object] = {}

    def call() -> None:
        results["vectors"] = batcher.encode_queries(["独自的查询"])
        results["thread"] = threading.get_ident()

    caller = threading.Thread(target=call)
    caller.start()
    caller.join(10)
    assert not caller.is_alive()
    assert inner.calls == [["独自的查询"]]
    assert inner.threads == [results["thread"]]  # encoded by the caller itself, no worker thread
    np.testing.assert_allclose(results["vectors"], FakeEncoder().encode_queries(["独自的查询"]), rtol=1e-6)
    # One after another, each call is its own batch: nothing was queued behind it.
    for i in range(3):
        batcher.encode_queries([f"顺序{i}"])
    assert inner.calls[1:] == [[f"顺序{i}"] for i in range(3)]
    assert batcher.batches == 4 and batcher.queued == 0
    batcher.close()


def _queue_behind_first(
    batcher: BatchingEncoder, inner: RecordingEncoder, pool: ThreadPoolExecutor, n: int
) -> tuple[Future[np.ndarray], list[Future[np.ndarray]]]:
    """A first call held inside the encoder, and ``n`` one-text calls queued behind it."""
    inner.gate.clear()
    first = pool.submit(batcher.encode_queries, ["第一个"])
    assert inner.entered.wait(5)
    rest = [pool.submit(batcher.encode_queries, [f"排队{i}"]) for i in range(n)]
    _wait_until(lambda: batcher.queued == n)
    return first, rest


def test_callers_queued_behind_a_batch_are_encoded_together_next():
    inner = RecordingEncoder()
    batcher = BatchingEncoder(inner, max_batch=32, max_wait_ms=0)
    try:
        with ThreadPoolExecutor(6) as pool:
            first, rest = _queue_behind_first(batcher, inner, pool, 5)
            inner.gate.set()
            outcomes = [first.result(10), *(f.result(10) for f in rest)]
    finally:
        batcher.close()
    assert inner.calls[0] == ["第一个"]
    assert sorted(inner.calls[1]) == [f"排队{i}" for i in range(5)] and len(inner.calls) == 2
    assert all(v.shape == (1, inner.dim) for v in outcomes)


def test_after_callers_queued_the_worker_encodes_until_a_lone_batch_finds_none_behind_it():
    inner = RecordingEncoder()
    batcher = BatchingEncoder(inner, max_batch=32, max_wait_ms=0)
    try:
        with ThreadPoolExecutor(4) as pool:
            first, rest = _queue_behind_first(batcher, inner, pool, 2)
            inner.gate.set()
            [f.result(10) for f in [first, *rest]]
            caller_thread = inner.threads[0]
            # Busy: the next call goes to the worker, although nothing is encoding.
            _wait_until(lambda: batcher.queued == 0 and len(inner.calls) == 2)
            pool.submit(batcher.encode_queries, ["忙后单个"]).result(10)
            # That lone batch had nothing queued behind it: calls are inline again.
            me = threading.get_ident()
            batcher.encode_queries(["又空闲了"])
    finally:
        batcher.close()
    assert inner.threads[0] == caller_thread and inner.threads[1] == inner.threads[2] != caller_thread
    assert inner.calls[2] == ["忙后单个"] and inner.threads[3] == me


def test_a_busy_batch_waits_for_more_mates_until_it_is_full():
    inner = RecordingEncoder()
    # The wait is long: the second batch can only end by filling up to max_batch.
    batcher = BatchingEncoder(inner, max_batch=4, max_wait_ms=600_000)
    try:
        with ThreadPoolExecutor(5) as pool:
            first, queued = _queue_behind_first(batcher, inner, pool, 2)
            inner.gate.set()
            first.result(10)
            # Two queued callers were taken together; their batch waits for two more.
            _wait_until(lambda: batcher.queued == 0)
            assert len(inner.calls) == 1
            late = [pool.submit(batcher.encode_queries, [f"后来{i}"]) for i in range(2)]
            results = [f.result(10) for f in queued + late]
    finally:
        batcher.close()
    assert len(inner.calls) == 2
    assert sorted(inner.calls[1]) == sorted([f"排队{i}" for i in range(2)] + [f"后来{i}" for i in range(2)])
    assert all(r.shape == (1, inner.dim) for r in results)


def test_concurrent_callers_are_encoded_in_few_batches_with_their_own_rows():
    inner = RecordingEncoder()
    batcher = BatchingEncoder(inner, max_batch=64, max_wait_ms=50)
    texts = [f"查询{i}号专项资金" for i in range(24)]
    try:
        # Hold the first call so that the others pile up behind it.
        inner.gate.clear()
        with ThreadPoolExecutor(24) as pool:
            futures = [pool.submit(batcher.encode_queries, [t]) for t in texts]
            assert inner.entered.wait(5)
            inner.gate.set()
            results = [f.result(10) for f in futures]
    finally:
        batcher.close()
    for text, vectors in zip(texts, results, strict=True):
        assert vectors.shape == (1, inner.dim)
        np.testing.assert_allclose(vectors[0], FakeEncoder().encode_queries([text])[0], rtol=1e-6)
    assert sum(len(c) for c in inner.calls) == len(texts)
    assert len(inner.calls) < len(texts) / 2, inner.calls  # batched, not one call per caller
    assert batcher.batches == len(inner.calls)


def test_multi_text_requests_keep_order_and_max_batch_is_respected():
    inner = RecordingEncoder()
    batcher = BatchingEncoder(inner, max_batch=5, max_wait_ms=50)
    requests = [[f"指标{r}-{i}" for i in range(3)] for r in range(6)]
    try:
        inner.gate.clear()
        with ThreadPoolExecutor(6) as pool:
            futures = [pool.submit(batcher.encode_queries, texts) for texts in requests]
            assert inner.entered.wait(5)
            inner.gate.set()
            results = [f.result(10) for f in futures]
        big = [f"长批次{i}" for i in range(12)]
        big_result = batcher.encode_queries(big)  # larger than max_batch: encoded alone, in one call
    finally:
        batcher.close()
    for texts, vectors in zip(requests, results, strict=True):
        np.testing.assert_allclose(vectors, FakeEncoder().encode_queries(texts), rtol=1e-6)
    assert all(len(c) <= 5 for c in inner.calls[:-1])
    assert inner.calls[-1] == big
    np.testing.assert_allclose(big_result, FakeEncoder().encode_queries(big), rtol=1e-6)
    assert batcher.encode_queries([]).shape == (0, inner.dim)


def test_an_error_reaches_only_the_caller_whose_text_failed():
    inner = RecordingEncoder()
    batcher = BatchingEncoder(inner, max_batch=32, max_wait_ms=50)
    texts = ["出口信用保险", "boom 坏文本", "服务外包", "跨境电商"]
    try:
        inner.gate.clear()
        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(batcher.encode_queries, [t]) for t in texts]
            assert inner.entered.wait(5)
            inner.gate.set()
            outcomes = []
            for f in futures:
                try:
                    outcomes.append(f.result(10))
                except ValueError as exc:
                    outcomes.append(exc)
        assert isinstance(outcomes[1], ValueError) and "boom" in str(outcomes[1])
        for i in (0, 2, 3):
            assert isinstance(outcomes[i], np.ndarray) and outcomes[i].shape == (1, inner.dim)
        # The worker survives a failed batch.
        assert batcher.encode_queries(["绩效目标"]).shape == (1, inner.dim)
    finally:
        batcher.close()


def test_close_finishes_queued_work_then_refuses_new_calls():
    inner = RecordingEncoder()
    batcher = BatchingEncoder(inner, max_batch=1, max_wait_ms=0)
    inner.gate.clear()
    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(batcher.encode_queries, [f"文本{i}"]) for i in range(3)]
        assert inner.entered.wait(5)
        closer = threading.Thread(target=batcher.close)
        closer.start()
        inner.gate.set()
        closer.join(10)
        assert not closer.is_alive()
        assert all(f.result(10).shape == (1, inner.dim) for f in futures)
    assert batcher.closed
    with pytest.raises(EncoderClosedError, match="shutting down"):
        batcher.encode_queries(["之后"])
    batcher.close()  # idempotent
    # Passages go straight to the wrapped encoder.
    assert batcher.encode_passages(["项目"]).shape == (1, inner.dim)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="max_batch"):
        BatchingEncoder(FakeEncoder(), max_batch=0)
    with pytest.raises(ValueError, match="max_wait_ms"):
        BatchingEncoder(FakeEncoder(), max_wait_ms=-1)


def test_server_shares_one_batcher_and_closes_it_at_shutdown(tmp_path_factory):
    settings: Settings = session_models(tmp_path_factory).model_copy(
        update={"query_batch_wait_ms": 5.0, "query_batch_max": 16}
    )
    seen = {}

    def loader(s: Settings):
        state = load_state(s)
        seen["state"] = state
        return state

    with TestClient(create_app(settings, loader=loader)) as client:
        encoder = seen["state"].encoder
        assert isinstance(encoder, BatchingEncoder)
        assert encoder.max_batch == 16 and encoder.max_wait == pytest.approx(0.005)
        assert seen["state"].index.encoder is encoder
        queries = [f"服务外包{i}" for i in range(12)]
        with ThreadPoolExecutor(6) as pool:
            pages = list(pool.map(lambda q: client.get("/api/search", params={"q": q}), queries))
            tags = list(
                pool.map(lambda q: client.post("/api/classify", json={"items": [{"name": q}]}), queries[:6])
            )
        assert all(r.status_code == 200 for r in pages + tags)
        assert encoder.batches <= len(queries) + 6
    assert encoder.closed
