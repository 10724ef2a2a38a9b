"""``LazyEncoder``: name and dim without the model; the model loaded once, at the first encode."""

from __future__ import annotations

import numpy as np

from indexer.encoder import FakeEncoder
from indexer.encoder.lazy import LazyEncoder


def test_model_is_loaded_once_at_first_encode():
    calls: list[int] = []

    def load() -> FakeEncoder:
        calls.append(1)
        return FakeEncoder(dim=8)

    lazy = LazyEncoder("fake-hash-8", 8, load)
    assert (lazy.name, lazy.dim, lazy.loaded, calls) == ("fake-hash-8", 8, False, [])
    queries = lazy.encode_queries(["资金拨付及时率"])
    passages = lazy.encode_passages(["资金拨付及时率", "服务对象满意度"])
    assert lazy.loaded and calls == [1]
    np.testing.assert_array_equal(queries, FakeEncoder(dim=8).encode_queries(["资金拨付及时率"]))
    assert passages.shape == (2, 8)
