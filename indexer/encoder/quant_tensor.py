"""ONNX Runtime's per-tensor weight quantisation a chunk at a time.

The quantiser quantises the encoder's word embeddings (96M weights, 384 MB, the input of
its ``Gather``) with one scale for the whole tensor: ``quantize_initializer_impl`` flattens a
copy, and ``quantize_nparray`` makes a new 384 MB array for each of its cast, division,
rounding and addition. Fresh memory is what costs on the build machines (every new page is a
fault, ~3 ms of system time a megabyte), so :func:`chunked_per_tensor` swaps the function, for
the duration of a ``with`` block, for one that reads the weights in place and quantises them a
chunk at a time into the one int8 array it returns, with the same scale and zero point
(``compute_data_quant_params`` itself) and the same float32 division, rounding (half to even),
addition and clipping element by element: the quantised graph is byte-for-byte the one the
original gives (tests/test_quant_tensor.py). Cases outside that arithmetic (a tensor's
overrides, a weight kept in float, 4-bit, 16-bit or float8 types, float16 weights) go to
the original.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from indexer.encoder.quant_channels import swapped_method

# Values quantised at a time: a 4 MiB float32 work area.
_CHUNK = 1 << 20


def quantize_flat(values: Any, qtype: int, scale: Any, zero_point: Any, chunk: int = _CHUNK) -> Any:
    """``quantize_nparray(qtype, values, scale, zero_point)`` for int8/uint8, ``chunk`` values at a time."""
    import numpy as np
    from onnxruntime.quantization.quant_utils import ONNX_TYPE_TO_NP_TYPE, get_qmin_qmax_for_qType

    qmin, qmax = get_qmin_qmax_for_qType(qtype, reduce_range=False, symmetric=False)
    out = np.empty(values.shape, dtype=ONNX_TYPE_TO_NP_TYPE[qtype])
    work = np.empty(min(chunk, values.size), dtype=np.float32)
    for start in range(0, values.size, chunk):
        part = work[: min(chunk, values.size - start)]
        np.divide(values[start : start + chunk], scale, out=part)
        np.round(part, out=part)
        np.add(part, zero_point, out=part)  # float32: as ``(x / scale).round() + zero_point``
        np.clip(part, qmin, qmax, out=part)
        out[start : start + chunk] = part
    return out


def _per_tensor(
    self: Any,
    original: Callable[..., tuple[str, str, str]],
    weight: Any,
    qType: int,
    reduce_range: bool = False,
    keep_float_weight: bool = False,
) -> tuple[str, str, str]:
    """``quantize_initializer_impl`` for the plain case, else ``original``."""
    import numpy as np
    import onnx
    import onnx.numpy_helper
    from onnxruntime.quantization.quant_utils import (
        TENSOR_NAME_QUANT_SUFFIX,
        compute_data_quant_params,
        tensor_proto_to_array,
    )

    plain_type = qType in (onnx.TensorProto.INT8, onnx.TensorProto.UINT8)
    overrides = self.tensor_quant_overrides.get_per_tensor_overrides(weight.name, default_val={})
    if keep_float_weight or not plain_type or overrides or weight.data_type != onnx.TensorProto.FLOAT:
        return original(self, weight, qType, reduce_range, keep_float_weight)
    flat = tensor_proto_to_array(weight).reshape(-1)  # a view of the weights, not a copy
    if qType == self.weight_qType:
        symmetric = self.is_weight_symmetric(qType)
    else:
        symmetric = self.is_activation_symmetric
    zero_point, scale = compute_data_quant_params(
        flat, qType, symmetric, self.reduce_range and reduce_range, self.min_real_range, None, None
    )
    if np.asarray(scale).dtype != np.float32:  # the original would divide in another precision
        return original(self, weight, qType, reduce_range, keep_float_weight)
    quantized = quantize_flat(flat, qType, scale, zero_point)

    q_weight_name = weight.name + TENSOR_NAME_QUANT_SUFFIX
    zp_name, scale_name = weight.name + "_zero_point", weight.name + "_scale"
    self.model.initializer_extend(
        [
            onnx.helper.make_tensor(scale_name, weight.data_type, [], scale.reshape((-1,)).tolist()),
            onnx.helper.make_tensor(zp_name, qType, [], zero_point.reshape((-1,)).tolist()),
        ]
    )
    quantized = np.asarray(quantized).reshape(weight.dims)
    self.model.initializer_extend([onnx.numpy_helper.from_array(quantized, q_weight_name)])
    return q_weight_name, zp_name, scale_name


@contextmanager
def chunked_per_tensor() -> Iterator[None]:
    """Within the block, ORT's quantisers quantise each per-tensor weight a chunk at a time."""
    from onnxruntime.quantization.base_quantizer import BaseQuantizer

    with swapped_method(BaseQuantizer, "quantize_initializer_impl", _per_tensor):
        yield
