"""The in-memory ONNX export's reading of output axes (the export itself: tests/test_encoder_onnx.py)."""

from __future__ import annotations

from types import SimpleNamespace

from onnx import TensorProto, helper

from indexer.encoder.onnx_graph import _dynamic_axes_ok

CONFIG = SimpleNamespace(
    inputs={"input_ids": {0: "batch_size", 1: "sequence_length"}},
    outputs={"last_hidden_state": {0: "batch_size", 1: "sequence_length"}},
)


def _graph(shape: list[object]):
    output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, shape)
    graph = helper.make_graph([], "g", [], [output])
    return helper.make_model(graph)


def test_expected_axes_and_numbers_need_no_fix():
    assert _dynamic_axes_ok(_graph(["batch_size", "sequence_length", 384]), CONFIG)


def test_other_or_unknown_axes_go_to_optimums_fix():
    assert not _dynamic_axes_ok(_graph(["batch_size", "sequence_length", "unk__2"]), CONFIG)
    assert not _dynamic_axes_ok(_graph(["batch_size", None, 384]), CONFIG)
