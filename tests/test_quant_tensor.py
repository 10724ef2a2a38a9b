"""Per-tensor weight quantisation a chunk at a time: the same quantised graph as ORT's own."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantizationMode, QuantType
from onnxruntime.quantization.base_quantizer import BaseQuantizer
from onnxruntime.quantization.onnx_quantizer import ONNXQuantizer
from onnxruntime.quantization.quant_utils import compute_data_quant_params, quantize_nparray

from indexer.encoder.quant_tensor import chunked_per_tensor, quantize_flat


def _embeddings() -> np.ndarray:
    """A table with awkward values: exact .5 quotients, the range's ends, zeros, huge magnitudes."""
    rng = np.random.default_rng(11)
    table = (rng.standard_normal((300, 16)) * 0.05).astype(np.float32)
    table[0] = np.linspace(-1.0, 1.0, 16, dtype=np.float32)
    table[1] = 0.0
    table[2, :4] = np.float32(3e3), np.float32(-3e3), np.float32(1e-39), np.float32(-0.0)
    return table


@pytest.mark.parametrize("qtype", [TensorProto.INT8, TensorProto.UINT8])
@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize("chunk", [1, 7, 4096, 1 << 20])
def test_quantize_flat_is_quantize_nparray(qtype: int, symmetric: bool, chunk: int):
    flat = _embeddings().reshape(-1)
    zero_point, scale = compute_data_quant_params(flat, qtype, symmetric)
    expected = quantize_nparray(qtype, flat, scale, zero_point)
    got = quantize_flat(flat, qtype, scale, zero_point, chunk=chunk)
    assert got.dtype == expected.dtype
    assert got.tobytes() == expected.tobytes()


def _model() -> onnx.ModelProto:
    """ids → Gather(embeddings) → MatMul: the encoder's first two operators."""
    rng = np.random.default_rng(5)
    weight = (rng.standard_normal((16, 8)) * 0.1).astype(np.float32)
    nodes = [
        helper.make_node("Gather", ["E", "ids"], ["h"], name="gather"),
        helper.make_node("MatMul", ["h", "W"], ["y"], name="mm"),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "seq", 8])],
        initializer=[numpy_helper.from_array(_embeddings(), "E"), numpy_helper.from_array(weight, "W")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _quantized(weight_type: QuantType, per_channel: bool, fast: bool, extra: dict | None = None) -> bytes:
    quantizer = ONNXQuantizer(
        _model(), per_channel, False, QuantizationMode.IntegerOps, False, weight_type, QuantType.QUInt8,
        None, [], [], ["MatMul", "Gather"], extra or {},
    )  # fmt: skip
    if fast:
        with chunked_per_tensor():
            quantizer.quantize_model()
    else:
        quantizer.quantize_model()
    return quantizer.model.model.SerializeToString()


@pytest.mark.parametrize("weight_type", [QuantType.QInt8, QuantType.QUInt8])
@pytest.mark.parametrize("per_channel", [False, True])
def test_same_bytes_as_orts_quantiser(weight_type: QuantType, per_channel: bool):
    expected = _quantized(weight_type, per_channel, fast=False)
    assert _quantized(weight_type, per_channel, fast=True) == expected
    names = {t.name for t in onnx.load_from_string(expected).graph.initializer}
    assert {"E_quantized", "E_scale", "E_zero_point"} <= names  # the embeddings really were quantised


def test_only_overrides_go_to_the_original():
    seen: list[str] = []
    original = BaseQuantizer.quantize_initializer_impl

    def counting(self, weight, *args, **kwargs):
        seen.append(weight.name)
        return original(self, weight, *args, **kwargs)

    BaseQuantizer.quantize_initializer_impl = counting  # type: ignore[method-assign]
    try:
        _quantized(QuantType.QUInt8, False, fast=True)
        assert "E" not in seen  # quantised here, a chunk at a time
        extra = {"TensorQuantOverrides": {"E": [{"symmetric": True}]}}
        _quantized(QuantType.QUInt8, False, fast=True, extra=extra)
    finally:
        BaseQuantizer.quantize_initializer_impl = original  # type: ignore[method-assign]
    assert "E" in seen


def test_block_swaps_the_method_and_puts_it_back():
    original = BaseQuantizer.quantize_initializer_impl
    with chunked_per_tensor():
        assert BaseQuantizer.quantize_initializer_impl is not original
    assert BaseQuantizer.quantize_initializer_impl is original
