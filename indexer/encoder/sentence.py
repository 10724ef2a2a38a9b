"""The real encoder: a local sentence-transformers folder (E5 prompts), CPU only."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.encoder.base import encode_distinct
from indexer.errors import ArtifactError

DEFAULT_PROMPTS = {"query": "query: ", "passage": "passage: "}


def _load_model(path: Path) -> Any:
    # Never reach the Hugging Face hub: the folder is complete or loading fails.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    bar_was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    # transformers 4.57 warns that every XLM-R tokenizer.json has Mistral's "incorrect
    # regex pattern" (a check meant for Mistral's tokenizers, not this one).
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        # Weights may be stored in fp16; CPU inference runs in fp32 (fp16
        # matmuls on CPU are slow and less accurate).
        return SentenceTransformer(
            str(path),
            device="cpu",
            local_files_only=True,
            model_kwargs={"dtype": torch.float32},
        )
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"encoder: cannot load sentence-transformers model from {path}: {exc}") from exc
    finally:
        hf_logging.set_verbosity(verbosity)
        if bar_was_enabled:
            hf_logging.enable_progress_bar()


class SentenceTransformerEncoder:
    """``Encoder`` backed by a sentence-transformers model folder.

    Identical texts in one call are embedded once, and the distinct texts are
    sorted by length so that each batch pads little. Vectors are float32 and
    L2-normalised; queries and passages get the model's ``query``/``passage``
    prompts.
    """

    def __init__(
        self,
        path: Path,
        batch_size: int = 64,
        name: str | None = None,
        num_threads: int | None = None,
    ) -> None:
        if num_threads:
            import torch

            torch.set_num_threads(num_threads)
        self.path = Path(path)
        self.batch_size = batch_size
        self._model = _load_model(self.path)
        # Renamed in sentence-transformers 6; keep working with 3-5.
        model = self._model
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = get_dim()
        if not dim:
            raise ArtifactError(f"encoder: {path} does not declare an embedding dimension")
        self.dim: int = int(dim)
        self.name: str = name or self.path.name
        prompts = dict(getattr(self._model, "prompts", None) or {})
        self.prompts = {key: prompts.get(key, default) for key, default in DEFAULT_PROMPTS.items()}

    @property
    def model(self) -> Any:
        """The underlying ``SentenceTransformer`` (for benchmarks and diagnostics)."""
        return self._model

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        def embed(batch: list[str]) -> np.ndarray:
            return self._model.encode(
                batch,
                prompt=prompt,
                batch_size=self.batch_size,
                convert_to_numpy=True,
                show_progress_bar=False,
            )

        return encode_distinct(texts, embed, self.dim)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for search queries (``query: `` prompt)."""
        return self._encode(texts, self.prompts["query"])

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for goals, names and indicators (``passage: `` prompt)."""
        return self._encode(texts, self.prompts["passage"])
