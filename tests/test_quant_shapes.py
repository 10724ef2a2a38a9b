"""In-memory shape inference for ORT's quantiser: the same model as ORT's save-and-reload."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import base_quantizer, onnx_quantizer
from onnxruntime.quantization.quant_utils import save_and_reload_model_with_shape_infer

from indexer.encoder.quant_shapes import in_memory_shape_inference, infer_without_weights


def _model(extra: tuple[onnx.TensorProto, ...] = ()) -> onnx.ModelProto:
    """x[b,s,8] @ W[8,64] + bias, reshaped: a large weight (external-data size) and small
    tensors; ``extra`` initializers ride along unused."""
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
        initializer=[weight, bias, shape, *extra],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])


def _reference(model: onnx.ModelProto) -> bytes:
    """What ORT's own save-and-reload gives, on a copy (it leaves its input alone)."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    return save_and_reload_model_with_shape_infer(copy).SerializeToString()


def test_same_bytes_as_save_and_reload_in_place():
    model = _model()
    expected = _reference(model)
    got = infer_without_weights(model, save_and_reload_model_with_shape_infer)
    assert got is model  # the weights stay where they are: the model becomes the result
    assert got.SerializeToString() == expected
    assert len(got.graph.value_info) == 2  # mm, added: inference really ran
    # A second pass over an already reloaded model (what the quantiser does after its Gemm rewrite).
    expected_again = _reference(got)
    again = infer_without_weights(got, save_and_reload_model_with_shape_infer)
    assert again.SerializeToString() == expected_again


def test_the_external_data_threshold_is_onnx_own():
    """Tensors each side of save_model's 1024-byte rule (sys.getsizeof of the raw data, 33 bytes
    over its length) and one large enough to be judged by its dims: marked as the reload marks them."""
    sizes = {"f247": (np.float32, 247), "f248": (np.float32, 248), "i990": (np.int8, 990)}
    sizes |= {"i991": (np.int8, 991), "big": (np.float32, 4096)}
    extra = tuple(numpy_helper.from_array(np.ones(n, dtype=t), name) for name, (t, n) in sizes.items())
    model = _model(extra)
    expected = _reference(model)
    got = infer_without_weights(model, save_and_reload_model_with_shape_infer)
    assert got.SerializeToString() == expected
    marked = {t.name for t in got.graph.initializer if t.HasField("data_location")}
    assert marked == {"W", "f248", "i991", "big"}


def test_subgraphs_go_to_the_original():
    model = _model()
    branch = helper.make_graph([], "b", [], [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)])
    model.graph.node.append(helper.make_node("If", ["cond"], ["z"], then_branch=branch, else_branch=branch))
    calls = []
    infer_without_weights(model, lambda m: calls.append(m) or m)
    assert calls == [model]


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
