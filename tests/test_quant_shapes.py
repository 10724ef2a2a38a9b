"""In-memory shape inference for ORT's quantiser: the same model as ORT's save-and-reload."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import base_quantizer, onnx_quantizer
from onnxruntime.quantization.quant_utils import save_and_reload_model_with_shape_infer

from indexer.encoder.quant_shapes import in_memory_shape_inference, infer_without_weights


def _model() -> onnx.ModelProto:
    """x[b,s,8] @ W[8,64] + bias, reshaped: a large weight (external-data size) and small tensors."""
    rng = np.random.default_rng(0)
    weight = numpy_helper.from_array(rng.standard_normal((8, 64)).astype(np.float32), "W")
    bias = numpy_helper.from_array(np.arange(64, dtype=np.float32), "B")
    shape = numpy_helper.from_array(np.array([0, 0, 8, 8], dtype=np.int64), "shape")
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["mm"]),
        helper.make_node("Add", ["mm", "B"], ["added"]),
        helper.make_node("Reshape", ["added", "shape"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=[weight, bias, shape],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])


def test_same_bytes_as_save_and_reload_and_input_untouched():
    model = _model()
    before = model.SerializeToString()
    expected = save_and_reload_model_with_shape_infer(model)
    got = infer_without_weights(model, save_and_reload_model_with_shape_infer)
    assert got.SerializeToString() == expected.SerializeToString()
    assert len(got.graph.value_info) == 2  # mm, added: inference really ran
    assert model.SerializeToString() == before
    # A second pass over an already reloaded model (what the quantiser does after its Gemm rewrite).
    again = infer_without_weights(got, save_and_reload_model_with_shape_infer)
    assert again.SerializeToString() == save_and_reload_model_with_shape_infer(got).SerializeToString()


def test_block_swaps_the_function_and_puts_it_back():
    originals = (
        base_quantizer.save_and_reload_model_with_shape_infer,
        onnx_quantizer.save_and_reload_model_with_shape_infer,
    )
    with in_memory_shape_inference():
        assert base_quantizer.save_and_reload_model_with_shape_infer is not originals[0]
        assert onnx_quantizer.save_and_reload_model_with_shape_infer is not originals[1]
    assert (
        base_quantizer.save_and_reload_model_with_shape_infer,
        onnx_quantizer.save_and_reload_model_with_shape_infer,
    ) == originals
