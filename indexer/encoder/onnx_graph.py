"""The fp32 ONNX graph of the encoder and its int8 quantisation, in memory.

What Optimum's ``main_export`` (task ``feature-extraction``, no post-processing, no
validation) and ``ORTQuantizer.quantize`` do for the encoder, with Optimum's own pieces:
the model loaded by ``TasksManager`` as ``main_export`` loads it, Optimum's ONNX config
for the architecture (its opset, inputs, outputs, dynamic axes, dummy inputs and model
patcher) and ``torch.onnx.export`` with the arguments of Optimum's ``export_pytorch``;
then ORT's ``ONNXQuantizer`` with the keyword arguments ``ORTQuantizer.quantize`` builds
from the quantisation preset. The difference is where the graph lives: Optimum writes
the 470 MB fp32 graph to disk, parses it back to look for external data, opens an ONNX
Runtime session on it to check the output axes and parses it once more to quantise it;
here it is serialised once by the exporter and parsed once, and the output axes are read
from the graph itself (the session is opened only when one is not an expected dynamic
axis, the case Optimum's ``fix_dynamic_axes`` repairs). The int8 graph is byte-for-byte
the one Optimum writes (tests/test_encoder_onnx.py).
"""

from __future__ import annotations

import io
import tempfile
from inspect import signature
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.encoder.quant_channels import vectorized_per_channel
from indexer.encoder.quant_shapes import in_memory_shape_inference
from indexer.encoder.quant_tensor import chunked_per_tensor

if TYPE_CHECKING:
    from onnx import ModelProto

TASK = "feature-extraction"
_SUBGRAPH_OPS = {"If", "Loop", "Scan", "SequenceMap"}


def _load_model(source: Path) -> Any:
    """The model as ``main_export`` loads it: float32, CPU, ``torch.compile`` disabled."""
    import torch
    from optimum.exporters.tasks import TasksManager
    from optimum.exporters.utils import DisableCompileContextManager

    with DisableCompileContextManager():
        model = TasksManager.get_model_from_task(
            TASK,
            str(source),
            framework="pt",
            torch_dtype=torch.float32,
            device="cpu",
            library_name="transformers",
            local_files_only=True,
        )
    TasksManager.standardize_model_attributes(model)
    return model


def _onnx_config(model: Any) -> Any:
    from optimum.exporters.tasks import TasksManager

    constructor = TasksManager.get_exporter_config_constructor(
        model=model, exporter="onnx", task=TASK, library_name="transformers"
    )
    config = constructor(model.config, int_dtype="int64", float_dtype="fp32", preprocessors=[])
    config.variant = "default"
    return config


def _dynamic_axes_ok(model: ModelProto, config: Any) -> bool:
    """True when every output axis is a number or one of the config's dynamic axes: then
    Optimum's ``fix_dynamic_axes`` finds nothing to fix."""
    axes = chain(config.inputs.values(), config.outputs.values())
    allowed = {name for named in axes for name in named.values()}
    for output in model.graph.output:
        for dim in output.type.tensor_type.shape.dim:
            kind = dim.WhichOneof("value")
            if kind is None or (kind == "dim_param" and dim.dim_param not in allowed):
                return False
    return True


def _fix_dynamic_axes(model: ModelProto, config: Any, input_shapes: dict[str, int]) -> ModelProto:
    """Optimum's repair of wrongly dynamic output axes, on a file as it needs one."""
    import onnx

    with tempfile.TemporaryDirectory(prefix="onnx-axes-") as scratch:
        path = Path(scratch) / "model.onnx"
        onnx.save(model, str(path))
        config.fix_dynamic_axes(path, device="cpu", input_shapes=input_shapes, dtype="fp32")
        return onnx.load(str(path))


def export_fp32(source: Path) -> tuple[ModelProto, int]:
    """The fp32 graph of the model folder ``source`` (config + weights) and its opset:
    what ``main_export(source, task="feature-extraction", no_post_process=True)`` writes."""
    import onnx
    import optimum.exporters.onnx.model_configs  # noqa: F401 - registers the ONNX configs with TasksManager
    import torch
    from onnx.external_data_helper import uses_external_data
    from optimum.exporters.utils import check_dummy_inputs_are_allowed
    from optimum.utils import DEFAULT_DUMMY_SHAPES

    model = _load_model(source)
    config = _onnx_config(model)
    opset = config.DEFAULT_ONNX_OPSET
    input_shapes = dict(DEFAULT_DUMMY_SHAPES)
    model_kwargs: dict[str, Any] = {}
    if "logits_to_keep" in signature(model.forward).parameters:
        model_kwargs["logits_to_keep"] = 0
    buffer = io.BytesIO()
    with torch.no_grad():
        model.config.return_dict = True
        model = model.eval()
        for key, value in (config.values_override or {}).items():
            setattr(model.config, key, value)
        dummy_inputs = config.generate_dummy_inputs(framework="pt", **input_shapes)
        dummy_inputs = config.rename_ambiguous_inputs(dummy_inputs)
        with config.patch_model_for_export(model, model_kwargs=model_kwargs):
            check_dummy_inputs_are_allowed(model, dummy_inputs)
            inputs = config.ordered_inputs(model)
            torch.onnx.export(
                model,
                (dummy_inputs,),
                f=buffer,
                input_names=list(inputs),
                output_names=list(config.outputs),
                dynamic_axes=dict(chain(inputs.items(), config.outputs.items())),
                do_constant_folding=True,
                opset_version=opset,
                dynamo=False,
            )
    graph = onnx.load_from_string(buffer.getvalue())
    del buffer
    if any(uses_external_data(tensor) for tensor in graph.graph.initializer):
        raise RuntimeError("the fp32 encoder graph has external data (over 2 GB?): not expected")
    if not _dynamic_axes_ok(graph, config):
        graph = _fix_dynamic_axes(graph, config, input_shapes)
    return graph, opset


def quantize_int8(graph: ModelProto, target: str, out_path: Path) -> None:
    """Quantise ``graph`` dynamically with the preset ``target`` of Optimum's
    ``AutoQuantizationConfig`` (``avx512_vnni``, ``avx2``, …) and write it to ``out_path``:
    the ``ONNXQuantizer`` that ``ORTQuantizer.quantize`` makes for a dynamic preset.
    ``graph`` is consumed (the quantiser edits it)."""
    from onnxruntime.quantization.onnx_quantizer import ONNXQuantizer
    from optimum.onnxruntime.configuration import AutoQuantizationConfig
    from optimum.onnxruntime.utils import ORTQuantizableOperator

    config = getattr(AutoQuantizationConfig, target)(is_static=False)
    has_subgraphs = any(node.op_type in _SUBGRAPH_OPS for node in graph.graph.node)
    # The constructor infers the shapes twice (before and after its Gemm rewrite): in memory too.
    with in_memory_shape_inference(), vectorized_per_channel(), chunked_per_tensor():
        quantizer = ONNXQuantizer(
            model=graph,
            static=config.is_static,
            per_channel=config.per_channel,
            mode=config.mode,
            weight_qType=config.weights_dtype,
            activation_qType=config.activations_dtype,
            tensors_range=None,
            reduce_range=config.reduce_range,
            nodes_to_quantize=config.nodes_to_quantize,
            nodes_to_exclude=config.nodes_to_exclude,
            op_types_to_quantize=[
                op.value if isinstance(op, ORTQuantizableOperator) else op
                for op in config.operators_to_quantize
            ],
            extra_options={
                "WeightSymmetric": config.weights_symmetric,
                "ActivationSymmetric": config.activations_symmetric,
                "EnableSubgraph": has_subgraphs,
                "ForceSymmetric": config.activations_symmetric and config.weights_symmetric,
                "AddQDQPairToWeight": config.qdq_add_pair_to_weight,
                "DedicatedQDQPair": config.qdq_dedicated_pair,
                "QDQOpTypePerChannelSupportToAxis": config.qdq_op_type_per_channel_support_to_axis,
            },
        )
        quantizer.quantize_model()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    quantizer.model.save_model_to_file(str(out_path), False)
