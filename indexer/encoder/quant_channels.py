"""ONNX Runtime's per-channel weight quantisation with the channels done at once.

``BaseQuantizer.quantize_weight_per_channel_impl`` quantises a weight one channel at a time
in Python: for the encoder's 72 MatMul weights that is 41,472 calls of ``quantize_data`` on
rows of 384 or 1,536 numbers, the largest single cost of the int8 export.
:func:`vectorized_per_channel` swaps it, for the duration of a ``with`` block, for one that
does the same arithmetic on every channel of a weight in one set of array operations:
the same min/max, the same float64 range division, the same float32 scale, the same
division, rounding (half to even) and clipping, element by element, so the quantised
graph is byte-for-byte the one the loop gives (tests/test_quant_channels.py). Cases
outside that arithmetic (user overrides of a tensor's range, a minimum real range,
float16 weights, 4-bit or 16-bit or float8 types, an empty weight) go to the original.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def _channel_params(rows: Any, qtype: int, symmetric: bool, reduce_range: bool) -> tuple[Any, Any]:
    """Scale (float32) and zero point per row of ``rows``: ``compute_data_quant_params``
    (``compute_scale_zp``) on each row, as arrays."""
    import numpy as np
    from onnxruntime.quantization.quant_utils import get_qmin_qmax_for_qType

    qmin, qmax = get_qmin_qmax_for_qType(qtype, reduce_range, symmetric=symmetric)
    rmin = np.minimum(rows.min(axis=1), np.float32(0))
    rmax = np.maximum(rows.max(axis=1), np.float32(0))
    if symmetric:
        absmax = np.maximum(np.abs(rmin), np.abs(rmax))
        rmin, rmax = -absmax, absmax
    # Promoted before subtraction, as compute_scale_zp does.
    scale = (rmax.astype(np.float64) - rmin.astype(np.float64)) / (
        np.array(qmax, dtype=np.float64) - np.array(qmin, dtype=np.float64)
    )
    if symmetric:
        middle = np.array(np.round((qmin + qmax) / np.array(2.0, dtype=np.float64)), dtype=qmin.dtype)
        zero_point = np.full(len(rows), middle, dtype=qmin.dtype)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):  # tiny scales are replaced below
            zero_point = np.array(np.round(qmin - rmin / scale), dtype=qmin.dtype)
    tiny = scale < np.finfo(np.float32).tiny
    zero_point[tiny] = 0
    stored = scale.astype(np.float32)
    stored[tiny] = np.float32(1.0)
    return stored, zero_point


def _quantize_rows(rows: Any, scale: Any, zero_point: Any, qtype: int) -> Any:
    """``quantize_nparray`` of each row with its own scale and zero point."""
    import numpy as np
    from onnxruntime.quantization.quant_utils import ONNX_TYPE_TO_NP_TYPE, get_qmin_qmax_for_qType

    qmin, qmax = get_qmin_qmax_for_qType(qtype, reduce_range=False, symmetric=False)
    values = (rows / scale[:, None]).round() + zero_point[:, None]
    np.clip(values, qmin, qmax, out=values)
    return values.astype(ONNX_TYPE_TO_NP_TYPE[qtype])


def _per_channel(
    self: Any,
    original: Callable[..., tuple[str, str, str]],
    weight_name: str,
    weight_qType: int,
    channel_axis: int,
    reduce_range: bool = True,
    keep_float_weight: bool = False,
) -> tuple[str, str, str]:
    """``quantize_weight_per_channel_impl`` for the plain case, else ``original``."""
    import numpy as np
    import onnx
    import onnx.numpy_helper
    from onnxruntime.quantization.quant_utils import (
        TENSOR_NAME_QUANT_SUFFIX,
        find_by_name,
        normalize_axis,
        tensor_proto_to_array,
    )

    def fallback() -> tuple[str, str, str]:
        return original(self, weight_name, weight_qType, channel_axis, reduce_range, keep_float_weight)

    initializer = find_by_name(weight_name, self.model.initializer())
    plain_type = weight_qType in (onnx.TensorProto.INT8, onnx.TensorProto.UINT8)
    if (
        initializer is None
        or not plain_type
        or self.min_real_range is not None
        or weight_name in self.tensor_quant_overrides.overrides
    ):
        return fallback()
    weights = tensor_proto_to_array(initializer)
    valid, axis = normalize_axis(channel_axis, weights.ndim)
    if not valid or weights.dtype != np.float32 or weights.size == 0:
        return fallback()
    symmetric = self.is_weight_symmetric(weight_qType)
    moved = np.moveaxis(weights, axis, 0)
    rows = moved.reshape(moved.shape[0], -1)
    scale, zero_point = _channel_params(rows, weight_qType, symmetric, self.reduce_range and reduce_range)
    quantized = _quantize_rows(rows, scale, zero_point, weight_qType).reshape(moved.shape)
    quantized = np.moveaxis(quantized, 0, axis)

    q_weight_name = weight_name + TENSOR_NAME_QUANT_SUFFIX
    zp_name, scale_name = weight_name + "_zero_point", weight_name + "_scale"
    shape = [initializer.dims[axis]]
    self.model.initializer_extend(
        [
            onnx.helper.make_tensor(scale_name, initializer.data_type, shape, scale.tolist()),
            onnx.helper.make_tensor(zp_name, weight_qType, shape, zero_point.tolist()),
        ]
    )
    if not keep_float_weight:
        quantized = np.ascontiguousarray(quantized).reshape(initializer.dims)
        self.model.initializer_extend([onnx.numpy_helper.from_array(quantized, q_weight_name)])
    return q_weight_name, zp_name, scale_name


@contextmanager
def swapped_method(owner: type, name: str, replacement: Callable[..., Any]) -> Iterator[None]:
    """Within the block, ``owner.name`` is ``replacement(self, original, *args, **kwargs)``;
    the original method is put back after it."""
    original = getattr(owner, name)

    def patched(self: Any, *args: Any, **kwargs: Any) -> Any:
        return replacement(self, original, *args, **kwargs)

    setattr(owner, name, patched)
    try:
        yield
    finally:
        setattr(owner, name, original)


@contextmanager
def vectorized_per_channel() -> Iterator[None]:
    """Within the block, ORT's quantisers quantise each per-channel weight in one pass."""
    from onnxruntime.quantization.base_quantizer import BaseQuantizer

    with swapped_method(BaseQuantizer, "quantize_weight_per_channel_impl", _per_channel):
        yield
