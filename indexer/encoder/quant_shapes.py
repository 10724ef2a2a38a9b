"""ONNX Runtime's quantiser with its shape inference run in memory.

Before quantising, ORT's ``ONNXQuantizer`` infers the graph's shapes twice through
``save_and_reload_model_with_shape_infer``: it deep-copies the model, saves its weights
(470 MB for the fp32 encoder) as external data to a temporary directory, runs
``onnx.shape_inference.infer_shapes_path`` on the graph file and loads everything back.
:func:`in_memory_shape_inference` swaps that function, for the duration of a ``with``
block, for :func:`infer_without_weights`, which gives the same model without touching the
weights: a skeleton of the model (every field but the initializers' data; the tensors the
save would have moved out, by ONNX's own ``convert_model_to_external_data`` rule, marked
external as the saved file has them) is inferred in memory, and its value infos, inputs
and outputs are put into the model itself, the moved tensors marked as ``onnx.load``
leaves a tensor it read from external data. Protobuf copies a bytes field on every read
and write, so the weights are never read: that was eight copies of 470 MB per build. The
quantised graph is byte-for-byte the one the original function gives
(tests/test_encoder_onnx.py, tests/test_quant_shapes.py).
"""

from __future__ import annotations

import math
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from onnx import ModelProto, TensorProto

_SUBGRAPH_OPS = {"If", "Loop", "Scan", "SequenceMap"}
# onnx.save_model(save_as_external_data=True): size_threshold, compared with sys.getsizeof(raw_data).
_SIZE_THRESHOLD = 1024
# The fields shape inference fills in; the skeleton must come back otherwise unchanged.
_INFERRED_FIELDS = ("value_info", "input", "output")


def _copy_fields(source: Any, target: Any, skip: tuple[str, ...] = ()) -> None:
    """Copy every set field of the protobuf message ``source`` but ``skip`` into ``target``;
    a skipped field is never read (``ListFields`` would copy a tensor's raw data)."""
    for field in source.DESCRIPTOR.fields:
        if field.name in skip:
            continue
        if field.is_repeated:
            values = getattr(source, field.name)
            if len(values):
                getattr(target, field.name).extend(values)
        elif source.HasField(field.name):
            if field.type == field.TYPE_MESSAGE:
                getattr(target, field.name).CopyFrom(getattr(source, field.name))
            else:
                setattr(target, field.name, getattr(source, field.name))


def _moved_out(tensor: TensorProto) -> bool:
    """Whether ``onnx.save_model(save_as_external_data=True)`` would move the tensor's data to
    the external file. A fixed-width tensor's size comes from its dims, as reading
    ``raw_data`` copies it; only one near the threshold is measured as the rule measures it."""
    from onnx import helper

    if not tensor.HasField("raw_data"):
        return False
    try:
        itemsize = helper.tensor_dtype_to_np_dtype(tensor.data_type).itemsize
    except (KeyError, ValueError, TypeError):
        itemsize = 0
    # Sub-byte types (int4, float4) pack two values a byte: their dims overstate the size.
    packed = tensor.data_type in _packed_types()
    if itemsize and not packed and math.prod(tensor.dims) * itemsize >= 4 * _SIZE_THRESHOLD:
        return True
    return sys.getsizeof(tensor.raw_data) >= _SIZE_THRESHOLD


def _packed_types() -> set[int]:
    from onnx import TensorProto

    names = ("INT4", "UINT4", "FLOAT4E2M1", "INT2", "UINT2")
    return {getattr(TensorProto, name) for name in names if hasattr(TensorProto, name)}


def _skeleton(model: ModelProto, moved: set[str]) -> ModelProto:
    """``model`` without the data of the ``moved`` initializers, which are marked external as
    the saved file marks them (location, no data): what shape inference reads from the file."""
    from onnx import ModelProto, TensorProto

    skeleton = ModelProto()
    _copy_fields(model, skeleton, skip=("graph",))
    _copy_fields(model.graph, skeleton.graph, skip=("initializer",))
    location = f"{uuid.uuid1()}.data"
    for tensor in model.graph.initializer:
        copy = skeleton.graph.initializer.add()
        if tensor.name not in moved:
            copy.CopyFrom(tensor)
            continue
        _copy_fields(tensor, copy, skip=("raw_data", "external_data", "data_location"))
        entry = copy.external_data.add()
        entry.key, entry.value = "location", location
        copy.data_location = TensorProto.EXTERNAL
    return skeleton


def _without(model: ModelProto, fields: tuple[str, ...]) -> bytes:
    from onnx import ModelProto

    stripped = ModelProto()
    stripped.CopyFrom(model)
    for name in fields:
        stripped.graph.ClearField(name)
    return stripped.SerializeToString()


def infer_without_weights(model: ModelProto, fallback: Callable[[ModelProto], ModelProto]) -> ModelProto:
    """``save_and_reload_model_with_shape_infer(model)`` without saving or copying the weights:
    ``model`` itself is made into the reloaded, inferred model and returned (ORT's quantiser
    drops the model it passes in for the one returned). A graph with subgraphs or with
    external data already, or one whose inference changes more than the inferred fields,
    goes to ``fallback`` (the original), whose external-data walk also covers subgraphs."""
    import onnx
    from onnx import TensorProto
    from onnx.external_data_helper import uses_external_data
    from onnxruntime.quantization.quant_utils import add_infer_metadata

    if any(node.op_type in _SUBGRAPH_OPS for node in model.graph.node) or any(
        uses_external_data(tensor) or tensor.external_data for tensor in model.graph.initializer
    ):
        return fallback(model)
    moved = {tensor.name for tensor in model.graph.initializer if _moved_out(tensor)}
    skeleton = _skeleton(model, moved)
    inferred = onnx.shape_inference.infer_shapes(skeleton)
    if _without(inferred, _INFERRED_FIELDS) != _without(skeleton, _INFERRED_FIELDS):
        return fallback(model)
    for name in _INFERRED_FIELDS:
        model.graph.ClearField(name)
        getattr(model.graph, name).extend(getattr(inferred.graph, name))
    for tensor in model.graph.initializer:
        if tensor.name in moved:
            tensor.data_location = TensorProto.DEFAULT  # as onnx.load marks data it read back
    add_infer_metadata(model)
    return model


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
