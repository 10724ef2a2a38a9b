"""ONNX Runtime's quantiser with its shape inference run in memory.

Before quantising, ORT's ``ONNXQuantizer`` infers the graph's shapes twice through
``save_and_reload_model_with_shape_infer``: it deep-copies the model, saves its weights
(470 MB for the fp32 encoder) as external data to a temporary directory, runs
``onnx.shape_inference.infer_shapes_path`` on the graph file and loads everything back.
:func:`in_memory_shape_inference` swaps that function, for the duration of a ``with``
block, for one that gives the same model without the copy and the disk round trip: the
tensors the save would have moved out (ONNX's own ``convert_model_to_external_data``
rule) are marked external and emptied, the small remaining proto is inferred in memory,
and the weights are put back into both protos just as ``onnx.load`` would have put them
back. The quantised graph is byte-for-byte the one the original function gives
(tests/test_encoder_onnx.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onnx import ModelProto, TensorProto

_SUBGRAPH_OPS = {"If", "Loop", "Scan", "SequenceMap"}


def _restore(tensors: Iterator[TensorProto], moved: dict[str, tuple[bytes, bool]], as_loaded: bool) -> None:
    """Put the weights back: ``as_loaded``, as ``onnx.load`` leaves a tensor it read from
    external data (location set to DEFAULT); else as the tensor was (location set or not)."""
    from onnx import TensorProto

    for tensor in tensors:
        if tensor.name in moved:
            data, had_location = moved[tensor.name]
            tensor.raw_data = data
            del tensor.external_data[:]
            if as_loaded or had_location:
                tensor.data_location = TensorProto.DEFAULT
            else:
                tensor.ClearField("data_location")


def infer_without_weights(model: ModelProto, fallback: Callable[[ModelProto], ModelProto]) -> ModelProto:
    """``save_and_reload_model_with_shape_infer(model)`` without saving: a new inferred model,
    ``model`` left as it was. A graph with subgraphs or with external data already goes to
    ``fallback`` (the original), whose external-data walk also covers subgraphs."""
    import onnx
    from onnx.external_data_helper import convert_model_to_external_data, uses_external_data
    from onnxruntime.quantization.quant_utils import add_infer_metadata

    if any(node.op_type in _SUBGRAPH_OPS for node in model.graph.node) or any(
        uses_external_data(tensor) or tensor.external_data for tensor in model.graph.initializer
    ):
        return fallback(model)
    had_location = {tensor.name: tensor.HasField("data_location") for tensor in model.graph.initializer}
    # The rule (size threshold) of onnx.save_model(save_as_external_data=True); nothing is written.
    convert_model_to_external_data(model, all_tensors_to_one_file=True)
    moved: dict[str, tuple[bytes, bool]] = {}
    for tensor in model.graph.initializer:
        if uses_external_data(tensor):
            moved[tensor.name] = (tensor.raw_data, had_location[tensor.name])
            tensor.ClearField("raw_data")
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    finally:
        _restore(iter(model.graph.initializer), moved, as_loaded=False)
    _restore(iter(inferred.graph.initializer), moved, as_loaded=True)
    add_infer_metadata(inferred)
    return inferred


@contextmanager
def in_memory_shape_inference() -> Iterator[None]:
    """Within the block, ORT's quantiser infers shapes with :func:`infer_without_weights`."""
    from onnxruntime.quantization import base_quantizer, onnx_quantizer

    modules = (base_quantizer, onnx_quantizer)
    originals = [module.save_and_reload_model_with_shape_infer for module in modules]
    for module, original in zip(modules, originals, strict=True):
        module.save_and_reload_model_with_shape_infer = (  # type: ignore[attr-defined]
            lambda model, original=original: infer_without_weights(model, original)
        )
    try:
        yield
    finally:
        for module, original in zip(modules, originals, strict=True):
            module.save_and_reload_model_with_shape_infer = original  # type: ignore[attr-defined]
