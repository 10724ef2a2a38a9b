"""The encoder on ONNX Runtime: the int8 graph that ``onnx_export`` wrote, without torch.

It computes what sentence-transformers' own ONNX backend computes for the same
folder (prompt + text → the folder's fast tokenizer, truncated to
``max_seq_length`` → the graph's token states → mean pooling over the attention
mask → L2 normalisation; tests/test_encoder_onnx.py checks the two agree), but
imports only ``onnxruntime`` and ``tokenizers``: a command that loads it starts in
a fraction of the time torch takes to import.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.encoder.base import encode_distinct
from indexer.encoder.piece_table import PieceTableTokenizer
from indexer.errors import ArtifactError

DEFAULT_PROMPTS = {"query": "query: ", "passage": "passage: "}
# Rows × padded width of one graph run. Past a few thousand tokens the
# activations outgrow the CPU caches and a batch gets slower per text, not faster
# (goals at 64 a batch took twice as long per text as at 8 on 1 thread).
MAX_BATCH_TOKENS = 2048


def _batches(lengths: Sequence[int], max_rows: int, max_tokens: int) -> list[list[int]]:
    """Consecutive row groups of at most ``max_rows`` rows and ``max_tokens`` padded tokens."""
    batches: list[list[int]] = []
    rows: list[int] = []
    width = 0
    for i, n in enumerate(lengths):
        if rows and (len(rows) >= max_rows or (len(rows) + 1) * max(width, n) > max_tokens):
            batches.append(rows)
            rows, width = [], 0
        rows.append(i)
        width = max(width, n)
    if rows:
        batches.append(rows)
    return batches


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"ONNX encoder: cannot read {path}: {exc}") from exc


def save_optimized(model: Path, out: Path) -> None:
    """Write ``model`` as ONNX Runtime optimises it when a session starts (graph fusions up
    to the extended level, which runs on any CPU) to ``out``: a session of ``out`` with
    optimisation off runs the same graph and skips that work (~0.2 s of CPU per start)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(out)
    options.log_severity_level = 3
    try:
        ort.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for bad files
        raise ArtifactError(f"ONNX encoder: cannot optimise {model}: {exc}") from exc
    if not Path(out).is_file():
        raise ArtifactError(f"ONNX encoder: ONNX Runtime wrote no optimised graph for {model}")


class _FullTokenizer:
    """The folder's fast tokenizer, parsed whole (``tokenizers.Tokenizer.from_file``)."""

    def __init__(self, path: Path, max_length: int) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(path))
        self._tokenizer.enable_truncation(max_length=max_length)

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text (special tokens added, truncated)."""
        return [e.ids for e in self._tokenizer.encode_batch(list(texts))]

    def token_to_id(self, token: str) -> int | None:
        """The id of ``token``, None if it is not in the vocabulary."""
        return self._tokenizer.token_to_id(token)


def _tokenizer(path: Path, max_length: int, piece_table: Path | None) -> _FullTokenizer | PieceTableTokenizer:
    if piece_table is None:
        return _FullTokenizer(path, max_length)
    return PieceTableTokenizer(piece_table, max_length)


class OnnxEncoder:
    """``Encoder`` backed by an ONNX graph of a sentence-transformers folder.

    ``num_threads`` is ONNX Runtime's intra-op thread count for this session
    only (0: one per core). ``piece_table`` (a start-up table of this folder's
    ``tokenizer.json``, see ``indexer.encoder.piece_table``) replaces the full tokenizer:
    the same ids, for a process that encodes a few texts. ``optimized_model`` (written by
    :func:`save_optimized` from ``model_file``) is run with graph optimisation off instead
    of optimising ``model_file`` again at every start. ``InferenceSession.run`` is thread-safe, so one
    encoder serves concurrent callers.
    """

    def __init__(
        self,
        path: Path,
        model_file: str,
        batch_size: int = 64,
        name: str | None = None,
        num_threads: int | None = None,
        max_batch_tokens: int = MAX_BATCH_TOKENS,
        piece_table: Path | None = None,
        optimized_model: Path | None = None,
    ) -> None:
        import onnxruntime as ort

        self.path = Path(path)
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens
        self.name: str = name or self.path.name
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(num_threads or 0)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only: no warnings about unused initialisers
        model = self.path / model_file
        if optimized_model is not None:
            model = Path(optimized_model)
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        try:
            self._session = ort.InferenceSession(
                str(model), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types for bad files
            raise ArtifactError(f"ONNX encoder: cannot load {model}: {exc}") from exc
        self._input_names = {i.name for i in self._session.get_inputs()}
        outputs = [o.name for o in self._session.get_outputs()]
        self._output = "last_hidden_state" if "last_hidden_state" in outputs else outputs[0]
        self.dim: int = int(self._session.get_outputs()[outputs.index(self._output)].shape[-1])

        max_len = int(_read_json(self.path / "sentence_bert_config.json").get("max_seq_length", 512))
        pad_token = str(_read_json(self.path / "tokenizer_config.json").get("pad_token", "<pad>"))
        self._tokenizer = _tokenizer(self.path / "tokenizer.json", max_len, piece_table)
        pad_id = self._tokenizer.token_to_id(pad_token)
        if pad_id is None:
            raise ArtifactError(f"ONNX encoder: {self.path}/tokenizer.json has no pad token {pad_token!r}")
        self._pad_id = pad_id
        prompts = _read_json(self.path / "config_sentence_transformers.json").get("prompts") or {}
        self.prompts = {key: prompts.get(key, default) for key, default in DEFAULT_PROMPTS.items()}

    def _embed(self, texts: list[str], prompt: str) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        encodings = self._tokenizer.encode_batch([prompt + t for t in texts])
        for rows in _batches([len(e) for e in encodings], self.batch_size, self.max_batch_tokens):
            width = max(len(encodings[r]) for r in rows)
            ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for k, r in enumerate(rows):
                seq = encodings[r]
                ids[k, : len(seq)] = seq
                mask[k, : len(seq)] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            states = self._session.run([self._output], feeds)[0]
            weights = mask[:, :, None].astype(np.float32)
            out[rows] = (states * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for search queries (``query: `` prompt)."""
        prompt = self.prompts["query"]
        return encode_distinct(texts, lambda batch: self._embed(batch, prompt), self.dim)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for goals, names and indicators (``passage: `` prompt)."""
        prompt = self.prompts["passage"]
        return encode_distinct(texts, lambda batch: self._embed(batch, prompt), self.dim)
