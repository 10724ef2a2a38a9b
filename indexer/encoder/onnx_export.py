"""Build step: the converted encoder → an int8 ONNX artifact for ONNX Runtime.

The folder's BERT is exported to ONNX and quantised dynamically to int8 as
sentence-transformers' ``backend="onnx"`` export and ``export_dynamic_quantized_onnx_model``
do (Optimum's ``main_export``, then ``ORTQuantizer`` with the ``AutoQuantizationConfig``
preset for the instruction set of this CPU), but in memory with Optimum's and ORT's own
pieces (:mod:`indexer.encoder.onnx_graph`), from a scratch folder holding only the config
and the weights: through sentence-transformers the 16.8 MB tokenizer was parsed nine times
and an unused ONNX Runtime session opened, and Optimum writes and parses the 470 MB fp32
graph three times, for the same graph bytes (tests/test_encoder_onnx.py). The artifact is
a complete sentence-transformers folder (the tokenizer and module files copied from the
converted encoder, the weights only as ``onnx/model_qint8_<target>.onnx``, ``quint8`` for
``avx2``) with a manifest naming the encoder it came from, so that either
``SentenceTransformer(dir, backend="onnx")`` or :class:`indexer.encoder.onnx_backend.OnnxEncoder`
loads it. Written atomically; an up-to-date artifact is left alone.
"""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
from pathlib import Path
from typing import Any

from indexer.artifacts import read_manifest, write_artifact
from indexer.encoder.build import DIM, ENCODER_KIND, ENCODER_NAME, FORMAT_VERSION
from indexer.errors import ArtifactError

ONNX_KIND = "onnx-encoder"
ONNX_FORMAT_VERSION = 1
ONNX_ENCODER_NAME = f"{ENCODER_NAME}+onnx-qint8"
ONNX_DIR_NAME = "encoder-onnx"
# The torch weights are what the ONNX graph replaces; everything else is shared.
_NOT_COPIED = {"model.safetensors", "manifest.json"}
_GRAPH_FILES = ("config.json", "model.safetensors")


def quantization_target() -> str:
    """The quantisation preset of sentence-transformers that fits this CPU.

    ``avx512_vnni`` uses the int8 dot-product instructions where the CPU has them;
    a model quantised for one preset still runs on any CPU, only slower.
    """
    if platform.machine().lower() in ("aarch64", "arm64"):
        return "arm64"
    try:
        flags = next(
            (line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags")), ""
        ).split()
    except OSError:
        flags = []
    if "avx512_vnni" in flags:
        return "avx512_vnni"
    if "avx512f" in flags:
        return "avx512"
    return "avx2"


def onnx_model_file(target: str) -> str:
    """Where sentence-transformers' export puts the graph quantised with the preset ``target``,
    relative to the folder: ``onnx/model_<weights' type>_<target>.onnx`` (``qint8``, or
    ``quint8`` for ``avx2``), the type read from Optimum's preset (so Optimum is imported)."""
    from optimum.onnxruntime.configuration import AutoQuantizationConfig

    weights = getattr(AutoQuantizationConfig, target)(is_static=False).weights_dtype.name.lower()
    return f"onnx/model_{weights}_{target}.onnx"


def _source(encoder_dir: Path, manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    if manifest is None or manifest.get("kind") != ENCODER_KIND:
        manifest = read_manifest(
            encoder_dir, ENCODER_KIND, FORMAT_VERSION, expected={"encoder": ENCODER_NAME, "dim": DIM}
        )
    elif (manifest.get("encoder"), manifest.get("dim")) != (ENCODER_NAME, DIM):
        found = manifest.get("encoder")
        raise ArtifactError(f"ONNX encoder: {encoder_dir} holds {found}, not {ENCODER_NAME}")
    return {
        "encoder": manifest["encoder"],
        "dtype": manifest.get("dtype"),
        "sha256": manifest["files"]["model.safetensors"],
    }


def preload_export_modules() -> None:
    """Import what the export runs (torch, transformers, Optimum: seconds of imports), e.g. in a
    thread while the weights are converted; a failed import is left for the export to report."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import optimum.exporters.onnx.__main__
        import optimum.onnxruntime.quantization  # noqa: F401
    except (ImportError, OSError, RuntimeError):
        pass


def _export(encoder_dir: Path, out_dir: Path, target: str) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers.utils import logging as hf_logging

    from indexer.encoder.onnx_graph import export_fp32, quantize_int8

    for path in encoder_dir.rglob("*"):
        rel = path.relative_to(encoder_dir)
        if path.is_file() and str(rel) not in _NOT_COPIED:
            (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, out_dir / rel)
        elif path.is_dir():
            (out_dir / rel).mkdir(parents=True, exist_ok=True)
    verbosity = hf_logging.get_verbosity()
    # Errors only: transformers' spurious Mistral-regex warning and the tracer's notes.
    hf_logging.set_verbosity_error()
    try:
        with tempfile.TemporaryDirectory(prefix="onnx-export-", dir=out_dir.parent) as scratch:
            source = Path(scratch) / "source"
            source.mkdir()
            # Only what the graph is made of: without tokenizer files Optimum loads no tokenizer.
            for name in _GRAPH_FILES:
                (source / name).symlink_to((encoder_dir / name).resolve())
            graph, _ = export_fp32(source)
        quantize_int8(graph, target, out_dir / onnx_model_file(target))
    except (ImportError, OSError, ValueError, RuntimeError) as exc:
        raise ArtifactError(f"ONNX encoder: export of {encoder_dir} failed: {exc}") from exc
    finally:
        hf_logging.set_verbosity(verbosity)
    if not (out_dir / onnx_model_file(target)).is_file():
        raise ArtifactError(f"ONNX encoder: export wrote no {onnx_model_file(target)} in {out_dir}")


def build_onnx_encoder(
    encoder_dir: Path,
    out_dir: Path,
    force: bool = False,
    target: str | None = None,
    encoder_manifest: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Export the converted encoder at ``encoder_dir`` as an int8 ONNX artifact at ``out_dir``.

    Idempotent: an artifact exported from the same weights with the same
    quantisation preset is returned untouched unless ``force``. Returns the manifest.
    ``encoder_manifest``: the manifest :func:`indexer.encoder.build.build_encoder` just
    returned (it has checked or written every file), so the 235 MB of weights are not
    hashed a second time; without it the encoder folder's manifest is read and checked.
    """
    encoder_dir, out_dir = Path(encoder_dir), Path(out_dir)
    target = target or quantization_target()
    expected = {
        "encoder": ONNX_ENCODER_NAME,
        "dim": DIM,
        "source": _source(encoder_dir, encoder_manifest),
        "quantization": target,
    }
    if not force:
        try:
            return read_manifest(out_dir, ONNX_KIND, ONNX_FORMAT_VERSION, expected=expected)
        except ArtifactError:
            pass  # missing, stale or damaged: export below

    def build(tmp_dir: Path) -> dict[str, Any]:
        _export(encoder_dir, tmp_dir, target)
        return {**expected, "model_file": onnx_model_file(target)}

    return write_artifact(out_dir, ONNX_KIND, ONNX_FORMAT_VERSION, build)
