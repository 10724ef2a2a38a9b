"""How the ONNX encoder cuts length-sorted texts into graph runs (no model needed)."""

from __future__ import annotations

from indexer.encoder.onnx_backend import _batches


def test_rows_and_padded_tokens_stay_within_limits():
    lengths = [512, 300, 300, 120, 100, 90, 40, 30, 20, 20, 20, 10, 10, 10, 10, 10]
    batches = _batches(lengths, max_rows=8, max_tokens=1024)
    assert batches == [[0, 1], [2, 3, 4], [5, 6, 7, 8, 9, 10, 11, 12], [13, 14, 15]]
    for rows in batches:  # padded to the batch's longest row
        assert len(rows) * max(lengths[i] for i in rows) <= 1024


def test_a_text_longer_than_the_budget_runs_alone():
    assert _batches([3000, 5, 5], max_rows=64, max_tokens=1024) == [[0], [1, 2]]
    assert _batches([5] * 5, max_rows=2, max_tokens=1024) == [[0, 1], [2, 3], [4]]
    assert _batches([], max_rows=64, max_tokens=1024) == []
