"""The start-up tables: what a one-query command reads instead of whole dictionaries.

``jixiao search`` tokenises one query twice — with jieba for BM25 and with the
encoder's Unigram tokenizer for its vector — and loading either dictionary whole
(jieba's ~500k-word prefix dictionary, the encoder's 250,002-piece
``tokenizer.json``) cost more CPU than everything else it does. ``jixiao build``
writes both as indexed SQLite tables into one artifact (``models/startup``):
``jieba.sqlite`` (:func:`indexer.tokenize.write_table`) and ``pieces.sqlite``
(:func:`indexer.encoder.piece_table.write_piece_table`), with ``encoder.opt.onnx``, the
encoder's graph as ONNX Runtime optimises it at every session start
(:func:`indexer.encoder.onnx_backend.save_optimized`). The manifest names what they
were made from (the ONNX encoder and the sha256 of its ``tokenizer.json`` and graph, the
ONNX Runtime and jieba versions, the domain dictionary's fingerprint); :func:`open_startup`
returns them only when all still match, so a stale or missing artifact means the slower
full load, never different tokens or vectors.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from indexer import tokenize
from indexer.artifacts import MANIFEST, read_manifest, write_artifact
from indexer.encoder.onnx_backend import save_optimized
from indexer.encoder.onnx_export import ONNX_ENCODER_NAME
from indexer.encoder.piece_table import PIECE_TABLE, write_piece_table
from indexer.errors import ArtifactError

STARTUP_KIND = "startup-tables"
STARTUP_FORMAT_VERSION = 2
STARTUP_DIR_NAME = "startup"
JIEBA_TABLE = "jieba.sqlite"
OPTIMIZED_MODEL = "encoder.opt.onnx"
PREPARED = "prepared.json"
# What tables written ahead (prepare_tables) must have been made from to be taken.
_PREPARED_KEYS = ("tokenizer_sha256", "tokenizer", "jieba_version")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StartupTables:
    """Paths of a current start-up artifact's tables."""

    pieces: Path
    jieba: Path
    model: Path


def _expected(onnx_dir: Path) -> dict[str, Any]:
    """The manifest fields a start-up artifact for ``onnx_dir`` must carry."""
    try:
        source = json.loads((Path(onnx_dir) / MANIFEST).read_text(encoding="utf-8"))
        tokenizer_sha = source["files"]["tokenizer.json"]
        model_file = source["model_file"]
        model_sha = source["files"][model_file]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ArtifactError(
            f"start-up tables: no readable ONNX encoder manifest in {onnx_dir} ({exc})"
        ) from exc
    return {
        "encoder": source.get("encoder"),
        "tokenizer_sha256": tokenizer_sha,
        "model_file": model_file,
        "model_sha256": model_sha,
        "onnxruntime_version": _version("onnxruntime"),
        "tokenizer": tokenize.fingerprint(),
        "jieba_version": _version("jieba"),
    }


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def prepare_tables(scratch: Path, tokenizer_json: Path, tokenizer_sha256: str) -> dict[str, Any]:
    """Write the two tables that need no ONNX graph (the pieces of ``tokenizer_json``, whose
    sha256 the caller knows, and jieba's) into the directory ``scratch``, ahead of
    :func:`build_startup` with ``prepared=scratch`` (``jixiao build`` does it while the
    encoder is exported). Returns what they were made from and their counts."""
    scratch = Path(scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    made = {
        "tokenizer_sha256": tokenizer_sha256,
        "tokenizer": tokenize.fingerprint(),
        "jieba_version": _version("jieba"),
        **write_piece_table(Path(tokenizer_json), scratch / PIECE_TABLE),
        **tokenize.write_table(scratch / JIEBA_TABLE),
    }
    (scratch / PREPARED).write_text(json.dumps(made, ensure_ascii=False), encoding="utf-8")
    return made


def _take_prepared(prepared: Path | None, expected: dict[str, Any], tmp_dir: Path) -> dict[str, Any] | None:
    """Move the tables :func:`prepare_tables` wrote in ``prepared`` into ``tmp_dir`` when they
    were made from what ``expected`` names; their counts, or None (then they are written)."""
    if prepared is None:
        return None
    try:
        made = json.loads((Path(prepared) / PREPARED).read_text(encoding="utf-8"))
        if any(made.get(key) != expected[key] for key in _PREPARED_KEYS):
            log.info("start-up tables prepared for another tokenizer or dictionary: written again")
            return None
        for name in (PIECE_TABLE, JIEBA_TABLE):
            os.replace(Path(prepared) / name, tmp_dir / name)
    except (OSError, ValueError, AttributeError) as exc:
        log.info("start-up tables prepared in %s not used: %s", prepared, exc)
        return None
    return {key: value for key, value in made.items() if key not in _PREPARED_KEYS}


def build_startup(
    out_dir: Path, onnx_dir: Path, force: bool = False, prepared: Path | None = None
) -> tuple[dict[str, Any], bool]:
    """Write the start-up tables for the ONNX encoder at ``onnx_dir`` into ``out_dir``
    unless a current artifact is there (or ``force``). Returns (manifest, built).
    ``prepared``: a directory of :func:`prepare_tables`, whose tables are taken when they
    were made from this encoder's tokenizer and this dictionary."""
    expected = _expected(onnx_dir)
    if expected["encoder"] != ONNX_ENCODER_NAME:
        raise ArtifactError(
            f"start-up tables: {onnx_dir} holds {expected['encoder']!r}, not {ONNX_ENCODER_NAME}"
        )
    if not force:
        try:
            return read_manifest(out_dir, STARTUP_KIND, STARTUP_FORMAT_VERSION, expected=expected), False
        except ArtifactError:
            pass  # missing, stale or damaged: written below

    def build(tmp_dir: Path) -> dict[str, Any]:
        counts = _take_prepared(prepared, expected, tmp_dir)
        if counts is None:
            pieces = write_piece_table(Path(onnx_dir) / "tokenizer.json", tmp_dir / PIECE_TABLE)
            counts = {**pieces, **tokenize.write_table(tmp_dir / JIEBA_TABLE)}
        save_optimized(Path(onnx_dir) / expected["model_file"], tmp_dir / OPTIMIZED_MODEL)
        return {**expected, **counts}

    return write_artifact(out_dir, STARTUP_KIND, STARTUP_FORMAT_VERSION, build), True


def open_startup(out_dir: Path, onnx_dir: Path, trust_stats: bool = False) -> StartupTables | None:
    """The start-up tables of ``out_dir`` if they are current for ``onnx_dir`` and intact
    (every file's sha256 checked, or its size and mtime with ``trust_stats``), else None
    (the reason is logged)."""
    try:
        read_manifest(
            out_dir,
            STARTUP_KIND,
            STARTUP_FORMAT_VERSION,
            expected=_expected(onnx_dir),
            trust_stats=trust_stats,
        )
    except ArtifactError as exc:
        log.info("start-up tables not used: %s", exc)
        return None
    out_dir = Path(out_dir)
    return StartupTables(out_dir / PIECE_TABLE, out_dir / JIEBA_TABLE, out_dir / OPTIMIZED_MODEL)
