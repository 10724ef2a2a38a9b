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


_SAME_AS_OPTIMUM = r"""
import os
import sys
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
tmp = Path(sys.argv[1])
from indexer.encoder.onnx_graph import export_fp32, quantize_int8  # first: Optimum not imported yet

graph, opset = export_fp32(tmp / "bert")
ours = graph.SerializeToString()
quantize_int8(graph, "avx512_vnni", tmp / "ours.onnx")  # per channel

import onnx
from optimum.exporters.onnx import main_export
from optimum.onnxruntime import ORTQuantizer
from optimum.onnxruntime.configuration import AutoQuantizationConfig

main_export(str(tmp / "bert"), output=tmp / "fp32", task="feature-extraction", do_validation=False,
            no_post_process=True, local_files_only=True, library_name="transformers")
assert onnx.load(str(tmp / "fp32" / "model.onnx")).SerializeToString() == ours, "fp32 graphs differ"
config = AutoQuantizationConfig.avx512_vnni(is_static=False)
quantizer = ORTQuantizer.from_pretrained(tmp / "fp32", file_name="model.onnx")
quantizer.quantize(config, tmp / "q", file_suffix="x")
assert (tmp / "q" / "model_x.onnx").read_bytes() == (tmp / "ours.onnx").read_bytes(), "int8 graphs differ"
print("same", opset)
"""


def test_same_graphs_as_optimums_export_and_quantizer(tmp_path):
    """A tiny random BERT in a fresh interpreter (nothing of Optimum imported before): the fp32
    graph equals main_export's file parsed, the int8 file equals ORTQuantizer's."""
    import subprocess
    import sys

    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64
    )
    BertModel(config).save_pretrained(tmp_path / "bert")
    done = subprocess.run(
        [sys.executable, "-c", _SAME_AS_OPTIMUM, str(tmp_path)], capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-2:] == ["same", "18"]


def test_quantizer_never_saves_the_graph_to_infer_shapes(tmp_path, monkeypatch):
    """Both shape inferences of ONNXQuantizer's constructor and any of quantize_model run in
    memory (indexer.encoder.quant_shapes): ORT's save-and-reload (a deep copy and a disk round
    trip of the 470 MB fp32 graph each) is never called."""
    import numpy as np
    from onnx import numpy_helper
    from onnxruntime.quantization import base_quantizer, onnx_quantizer

    from indexer.encoder.onnx_graph import quantize_int8

    calls: list[str] = []
    for module in (base_quantizer, onnx_quantizer):
        original = module.save_and_reload_model_with_shape_infer

        def counted(model, original=original, name=module.__name__):
            calls.append(name)
            return original(model)

        monkeypatch.setattr(module, "save_and_reload_model_with_shape_infer", counted)
    weight = numpy_helper.from_array(np.arange(16, dtype=np.float32).reshape(4, 4) / 16, "w")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g", [x], [y], [weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    quantize_int8(model, "avx512_vnni", tmp_path / "q.onnx")
    assert (tmp_path / "q.onnx").is_file()
    assert calls == []
