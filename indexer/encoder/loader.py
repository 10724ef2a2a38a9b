"""Pick and load an encoder by name: the real one from its built folder, or the fake one.

The real encoder runs on one of two backends: ONNX Runtime (the int8 artifact
``onnx_export`` builds; the default when ``onnxruntime`` is importable) or torch
(the converted sentence-transformers folder).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Literal

from indexer.artifacts import read_manifest
from indexer.encoder.base import Encoder
from indexer.encoder.build import DIM, ENCODER_KIND, ENCODER_NAME, FORMAT_VERSION
from indexer.encoder.fake import FakeEncoder
from indexer.encoder.lazy import LazyEncoder
from indexer.encoder.onnx_export import ONNX_DIR_NAME, ONNX_ENCODER_NAME, ONNX_FORMAT_VERSION, ONNX_KIND
from indexer.errors import ArtifactError, ArtifactMismatchError

REAL_ENCODERS = ("e5-small",)
BACKENDS = ("auto", "onnx", "torch")
Backend = Literal["auto", "onnx", "torch"]
_HINT = "rebuild it with `jixiao build`"


def resolve_backend(backend: str) -> Literal["onnx", "torch"]:
    """``"onnx"`` or ``"torch"``: ``"auto"`` is ONNX Runtime when it is importable, torch otherwise."""
    if backend not in BACKENDS:
        raise ArtifactError(
            f"unknown encoder backend {backend!r} (JIXIAO_ENCODER_BACKEND: one of {BACKENDS})"
        )
    if backend == "auto":
        return "onnx" if importlib.util.find_spec("onnxruntime") is not None else "torch"
    return backend  # type: ignore[return-value]


def _check_real(name: str) -> None:
    if name not in REAL_ENCODERS:
        raise ArtifactError(
            f"unknown encoder {name!r} (JIXIAO_ENCODER must be one of {[*REAL_ENCODERS, 'fake']})"
        )


def encoder_identity(name: str, backend: str = "auto") -> tuple[str, int]:
    """The ``(name, dim)`` that ``load_encoder(name, …, backend=backend)`` gives, known before
    its artifact is built (what a classifier that never encodes records about its encoder)."""
    if name == "fake":
        fake = FakeEncoder()
        return fake.name, fake.dim
    _check_real(name)
    return (ONNX_ENCODER_NAME if resolve_backend(backend) == "onnx" else ENCODER_NAME), DIM


def _checked_manifest(
    artifact_dir: Path, kind: str, version: int, encoder: str, trust_stats: bool = False
) -> dict:
    try:
        return read_manifest(
            artifact_dir, kind, version, expected={"encoder": encoder, "dim": DIM}, trust_stats=trust_stats
        )
    except ArtifactMismatchError as exc:
        raise EncoderMismatchError(exc.artifact, exc.field, exc.expected, exc.found) from exc
    except ArtifactError as exc:
        if "jixiao build" in str(exc):
            raise
        raise ArtifactError(f"{exc} ({_HINT})") from exc


class EncoderMismatchError(ArtifactMismatchError):
    """The encoder folder differs from what its manifest promises (stale or tampered)."""

    def __str__(self) -> str:
        return f"{super().__str__()} ({_HINT})"


def load_encoder(
    name: str,
    encoder_dir: Path | None = None,
    *,
    batch_size: int = 64,
    num_threads: int | None = None,
    backend: str = "auto",
    onnx_dir: Path | None = None,
    lazy: bool = False,
    piece_table: Path | None = None,
    optimized_model: Path | None = None,
    trust_stats: bool = False,
) -> Encoder:
    """The encoder called ``name``.

    ``"fake"`` gives the hashing ``FakeEncoder``; ``"e5-small"`` loads the real
    encoder on ``backend`` (see :func:`resolve_backend`): torch from the
    sentence-transformers folder ``encoder_dir``, ONNX Runtime from ``onnx_dir``
    (default: ``encoder-onnx`` beside ``encoder_dir``), after checking the
    artifact's manifest (kind, format version, encoder name, dim and every
    file's sha256). A missing or mismatched artifact raises ``ArtifactError``
    naming the problem. ``num_threads`` sets the backend's intra-op threads
    (torch: process-wide; ONNX Runtime: this session). ``lazy`` checks the
    manifest now but loads the model at the first encode (see ``LazyEncoder``):
    for callers that may need only the encoder's name and dim. ``piece_table``: the
    ONNX backend tokenises from this start-up table (``indexer.startup``) instead of
    parsing the whole ``tokenizer.json`` — same ids, for a process that encodes a few texts;
    ``optimized_model``: it runs this pre-optimised graph (``onnx_backend.save_optimized``).
    ``trust_stats``: files whose size and mtime match the manifest are not hashed
    (``indexer.artifacts.read_manifest``).
    """
    if name == "fake":
        return FakeEncoder()
    _check_real(name)
    if encoder_dir is None:
        raise ArtifactError(f"encoder {name!r}: no encoder folder given")
    encoder_dir = Path(encoder_dir)
    if lazy:
        onnx = resolve_backend(backend) == "onnx"
        onnx_dir = Path(onnx_dir) if onnx_dir else encoder_dir.with_name(ONNX_DIR_NAME)
        found_dir = onnx_dir if onnx else encoder_dir
        manifest = (
            _checked_manifest(onnx_dir, ONNX_KIND, ONNX_FORMAT_VERSION, ONNX_ENCODER_NAME, trust_stats)
            if onnx
            else _checked_manifest(encoder_dir, ENCODER_KIND, FORMAT_VERSION, ENCODER_NAME, trust_stats)
        )

        def load() -> Encoder:
            encoder = load_encoder(
                name,
                encoder_dir,
                batch_size=batch_size,
                num_threads=num_threads,
                backend=backend,
                onnx_dir=onnx_dir,
                piece_table=piece_table,
                optimized_model=optimized_model,
                trust_stats=trust_stats,
            )
            if encoder.dim != manifest["dim"]:
                raise EncoderMismatchError(str(found_dir), "model dimension", manifest["dim"], encoder.dim)
            return encoder

        return LazyEncoder(str(manifest["encoder"]), int(manifest["dim"]), load)
    if resolve_backend(backend) == "onnx":
        from indexer.encoder.onnx_backend import OnnxEncoder

        onnx_dir = Path(onnx_dir) if onnx_dir else encoder_dir.with_name(ONNX_DIR_NAME)
        manifest = _checked_manifest(onnx_dir, ONNX_KIND, ONNX_FORMAT_VERSION, ONNX_ENCODER_NAME, trust_stats)
        encoder: Encoder = OnnxEncoder(
            onnx_dir,
            manifest["model_file"],
            batch_size=batch_size,
            name=manifest["encoder"],
            num_threads=num_threads,
            piece_table=piece_table,
            optimized_model=optimized_model,
        )
        found_dir = onnx_dir
    else:
        from indexer.encoder.sentence import SentenceTransformerEncoder

        manifest = _checked_manifest(encoder_dir, ENCODER_KIND, FORMAT_VERSION, ENCODER_NAME, trust_stats)
        encoder = SentenceTransformerEncoder(
            encoder_dir, batch_size=batch_size, name=manifest["encoder"], num_threads=num_threads
        )
        found_dir = encoder_dir
    if encoder.dim != manifest["dim"]:
        raise EncoderMismatchError(str(found_dir), "model dimension", manifest["dim"], encoder.dim)
    return encoder
