"""Per-channel weight quantisation in one pass: the same quantised graph as ORT's channel loop."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantizationMode, QuantType
from onnxruntime.quantization.base_quantizer import BaseQuantizer
from onnxruntime.quantization.onnx_quantizer import ONNXQuantizer

from indexer.encoder.quant_channels import vectorized_per_channel


def _weights() -> dict[str, np.ndarray]:
    """Weights with the awkward channels: all zero (scale below float32's tiny), one value,
    only positive, only negative, huge and subnormal magnitudes, exact .5 quotients."""
    rng = np.random.default_rng(7)
    w1 = rng.standard_normal((16, 24)).astype(np.float32)
    w1[:, 0] = 0.0
    w1[:, 1] = 0.0
    w1[3, 1] = 1e-3
    w1[:, 2] = np.abs(w1[:, 2])
    w1[:, 3] = -np.abs(w1[:, 3])
    w1[:, 4] *= np.float32(3e4)
    w1[:, 5] = np.float32(1e-39)  # subnormal: the range is under float32's tiny
    w1[:, 6] = np.linspace(-127, 127, 16, dtype=np.float32)  # quotients that land on .5
    w2 = (rng.standard_normal((24, 8)) * 0.02).astype(np.float32)
    return {"W1": w1, "W2": w2}


def _model() -> onnx.ModelProto:
    weights = _weights()
    nodes = [
        helper.make_node("MatMul", ["x", "W1"], ["h"], name="mm1"),
        helper.make_node("Relu", ["h"], ["r"], name="relu"),
        helper.make_node("MatMul", ["r", "W2"], ["y"], name="mm2"),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])],
        initializer=[numpy_helper.from_array(w, name) for name, w in weights.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _quantized(weight_type: QuantType, reduce_range: bool, symmetric: bool | None, fast: bool) -> bytes:
    """Dynamic per-channel quantisation with the keyword arguments Optimum's ORTQuantizer passes."""
    extra = {"WeightSymmetric": symmetric} if symmetric is not None else {}
    quantizer = ONNXQuantizer(
        model=_model(),
        per_channel=True,
        reduce_range=reduce_range,
        mode=QuantizationMode.IntegerOps,
        static=False,
        weight_qType=weight_type,
        activation_qType=QuantType.QUInt8,
        tensors_range=None,
        nodes_to_quantize=[],
        nodes_to_exclude=[],
        op_types_to_quantize=["MatMul"],
        extra_options=extra,
    )
    if fast:
        with vectorized_per_channel():
            quantizer.quantize_model()
    else:
        quantizer.quantize_model()
    return quantizer.model.model.SerializeToString()


@pytest.mark.parametrize("weight_type", [QuantType.QInt8, QuantType.QUInt8])
@pytest.mark.parametrize("reduce_range", [False, True])
@pytest.mark.parametrize("symmetric", [None, True, False])
def test_same_bytes_as_the_channel_loop(weight_type: QuantType, reduce_range: bool, symmetric: bool | None):
    expected = _quantized(weight_type, reduce_range, symmetric, fast=False)
    assert _quantized(weight_type, reduce_range, symmetric, fast=True) == expected
    model = onnx.load_from_string(expected)
    scales = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer if t.name.endswith("_scale")}
    assert scales["W1_scale"].shape == (24,)  # really per channel
    assert scales["W1_scale"][0] == 1.0  # the all-zero channel took the tiny-scale branch


def test_weights_with_overrides_go_to_the_loop():
    seen: list[str] = []
    original = BaseQuantizer.quantize_weight_per_channel_impl

    def counting(self, weight_name, *args, **kwargs):
        seen.append(weight_name)
        return original(self, weight_name, *args, **kwargs)

    BaseQuantizer.quantize_weight_per_channel_impl = counting  # type: ignore[method-assign]
    try:
        quantizer = ONNXQuantizer(
            _model(), True, False, QuantizationMode.IntegerOps, False, QuantType.QInt8, QuantType.QUInt8,
            None, [], [], ["MatMul"],
            {"TensorQuantOverrides": {"W2": [{"axis": 1, "symmetric": False}]}},
        )  # fmt: skip
        with vectorized_per_channel():
            quantizer.quantize_model()
    finally:
        BaseQuantizer.quantize_weight_per_channel_impl = original  # type: ignore[method-assign]
    assert seen == ["W2"]


def test_block_swaps_the_method_and_puts_it_back():
    original = BaseQuantizer.quantize_weight_per_channel_impl
    with vectorized_per_channel():
        assert BaseQuantizer.quantize_weight_per_channel_impl is not original
    assert BaseQuantizer.quantize_weight_per_channel_impl is original
