"""Embedding the unique texts of a corpus, reusing every vector already computed.

A stored vector is keyed by the sha256 of its text (:func:`text_key`), so a
rebuild after ingesting a table embeds only the texts it has not seen, and the
key list stored beside the vectors is plain bytes, not the texts themselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from indexer.encoder.base import Encoder
from indexer.errors import ArtifactError

ProgressFn = Callable[[int, int], None]
ENCODE_CHUNK = 256
KEY_BYTES = 32  # sha256 digest


def text_key(text: str) -> bytes:
    """The key a text's vector is stored under: sha256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def text_keys(texts: Sequence[str]) -> np.ndarray:
    """:func:`text_key` of every text, as a ``(len(texts), 32)`` uint8 array."""
    out = np.zeros((len(texts), KEY_BYTES), dtype=np.uint8)
    for i, text in enumerate(texts):
        out[i] = np.frombuffer(text_key(text), dtype=np.uint8)
    return out


def embed_unique(
    texts: Sequence[str],
    encoder: Encoder,
    reuse: Mapping[bytes, np.ndarray] | None = None,
    progress: ProgressFn | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` (already unique): those in ``reuse`` (text key → vector)
    copied, the rest encoded in chunks. Returns ``(vectors, number encoded)``."""
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    todo: list[int] = []
    for i, text in enumerate(texts):
        vector = reuse.get(text_key(text)) if reuse else None
        if vector is not None and vector.shape == (encoder.dim,):
            out[i] = vector
        else:
            todo.append(i)
    for start in range(0, len(todo), ENCODE_CHUNK):
        chunk = todo[start : start + ENCODE_CHUNK]
        vectors = np.asarray(encoder.encode_passages([texts[i] for i in chunk]), dtype=np.float32)
        if vectors.shape != (len(chunk), encoder.dim):
            raise ArtifactError(
                f"encoder {encoder.name} returned shape {vectors.shape}, "
                f"expected ({len(chunk)}, {encoder.dim})"
            )
        out[chunk] = vectors
        if progress:
            progress(min(start + ENCODE_CHUNK, len(todo)), len(todo))
    return out, len(todo)
