"""The int8 ONNX encoder (slow: exports and loads the real model).

It must compute what sentence-transformers' own ONNX backend computes on the same
file, stay close to the torch encoder on the corpus texts, and be refused when
its artifact is missing, stale or damaged.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from api.loaders import open_encoder
from api.settings import Settings
from indexer.artifacts import sha256_file
from indexer.encoder.build import DIM
from indexer.encoder.onnx_backend import OnnxEncoder
from indexer.encoder.onnx_export import (
    ONNX_DIR_NAME,
    ONNX_ENCODER_NAME,
    build_onnx_encoder,
    onnx_model_file,
)
from indexer.errors import ArtifactError, ArtifactMismatchError
from indexer.ingest import read_path

pytest.importorskip("onnxruntime")  # an optional backend: torch serves without it
pytestmark = pytest.mark.slow

SENTENCES = ["服务外包", "帮中小企业解决融资难", "  跨境电商 ", "a" * 3000, "", "出口信用保险补贴 2025年"]


@pytest.fixture(scope="module")
def onnx_dir(real_encoder_dir: Path) -> Path:
    out = real_encoder_dir.with_name(ONNX_DIR_NAME)
    build_onnx_encoder(real_encoder_dir, out)  # already built by conftest: a manifest check
    return out


@pytest.fixture(scope="module")
def settings(real_encoder_dir: Path) -> Settings:
    return Settings(models_dir=real_encoder_dir.parent, encoder="e5-small")


@pytest.fixture(scope="module")
def onnx_encoder(settings: Settings) -> OnnxEncoder:
    encoder = open_encoder(settings)
    assert isinstance(encoder, OnnxEncoder)  # the default when onnxruntime is installed
    return encoder


@pytest.fixture(scope="module")
def torch_encoder(settings: Settings):
    return open_encoder(settings.model_copy(update={"encoder_backend": "torch"}))


def corpus_texts(seed_paths: list[Path]) -> list[str]:
    texts: list[str] = []
    for path in seed_paths:
        for project in read_path(path).table.projects:
            texts += [project.name, project.goal, *(i.name for i in project.indicators)]
    return list(dict.fromkeys(t for t in texts if t))


def test_manifest_names_its_source_and_holds_no_torch_weights(onnx_dir: Path, real_encoder_dir: Path):
    manifest = json.loads((onnx_dir / "manifest.json").read_text(encoding="utf-8"))
    source = json.loads((real_encoder_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "onnx-encoder"
    assert manifest["encoder"] == ONNX_ENCODER_NAME and manifest["dim"] == DIM
    assert manifest["source"]["sha256"] == source["files"]["model.safetensors"]
    assert manifest["model_file"] in manifest["files"]
    assert not (onnx_dir / "model.safetensors").exists()
    assert "tokenizer.json" in manifest["files"]
    again = build_onnx_encoder(real_encoder_dir, onnx_dir)
    assert again["created_at"] == manifest["created_at"]


def test_graph_is_byte_for_byte_sentence_transformers_export(
    tmp_path: Path, onnx_dir: Path, real_encoder_dir: Path
):
    """The direct Optimum calls write the very file sentence-transformers' own export writes
    (what the build did before, at nine tokenizer loads): the same int8 graph, not a similar one."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.backend import export_dynamic_quantized_onnx_model

    manifest = json.loads((onnx_dir / "manifest.json").read_text(encoding="utf-8"))
    model = SentenceTransformer(
        str(real_encoder_dir),
        device="cpu",
        backend="onnx",
        local_files_only=True,
        model_kwargs={"export": True},
    )
    export_dynamic_quantized_onnx_model(model, manifest["quantization"], str(tmp_path))
    assert manifest["model_file"] == onnx_model_file(manifest["quantization"])
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("onnx/model_*.onnx"))
    assert written == [manifest["model_file"]]  # the name theirs has (quint8 for avx2)
    theirs = sha256_file(tmp_path / manifest["model_file"])
    assert theirs == manifest["files"][manifest["model_file"]]


def test_same_vectors_as_sentence_transformers_onnx_backend(onnx_dir: Path):
    from sentence_transformers import SentenceTransformer

    manifest = json.loads((onnx_dir / "manifest.json").read_text(encoding="utf-8"))
    # Dynamic int8 quantisation scales each graph run's activations by their own
    # range, so a vector depends slightly on its batch-mates (cosine ~0.995): the
    # same single batch as sentence-transformers' call, not the token-budget batches.
    onnx_encoder = OnnxEncoder(onnx_dir, manifest["model_file"], max_batch_tokens=10**9)
    st = SentenceTransformer(
        str(onnx_dir),
        backend="onnx",
        local_files_only=True,
        model_kwargs={"file_name": manifest["model_file"]},
    )
    for prompt, ours in (
        ("query: ", onnx_encoder.encode_queries(SENTENCES)),
        ("passage: ", onnx_encoder.encode_passages(SENTENCES)),
    ):
        theirs = st.encode(SENTENCES, prompt=prompt, convert_to_numpy=True, normalize_embeddings=True)
        cos = (ours * theirs).sum(1)
        assert cos.min() >= 0.9999, cos


def test_agrees_with_torch_on_the_corpus_texts(onnx_encoder, torch_encoder, seed_paths):
    texts = corpus_texts(seed_paths)
    assert len(texts) > 500
    ours, ref = onnx_encoder.encode_passages(texts), torch_encoder.encode_passages(texts)
    cos = (ours * ref).sum(1)
    assert cos.mean() >= 0.99, cos.mean()
    assert cos.min() >= 0.95, (cos.min(), texts[int(cos.argmin())])
    q_cos = (onnx_encoder.encode_queries(texts[:100]) * torch_encoder.encode_queries(texts[:100])).sum(1)
    assert q_cos.mean() >= 0.99
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, rtol=1e-5)
    assert onnx_encoder.encode_queries([]).shape == (0, DIM)


def test_semantic_sanity(onnx_encoder):
    outsourcing, trade, quake = onnx_encoder.encode_passages(["服务外包", "服务贸易", "地震安全性评价"])
    assert float(outsourcing @ trade) > float(outsourcing @ quake) + 0.05


def test_missing_or_tampered_artifact_refused(tmp_path: Path, onnx_dir: Path, real_encoder_dir: Path):
    models = tmp_path / "models"
    models.mkdir()
    (models / "encoder").symlink_to(real_encoder_dir, target_is_directory=True)
    settings = Settings(models_dir=models, encoder="e5-small", encoder_backend="onnx")
    with pytest.raises(ArtifactError, match="jixiao build"):
        open_encoder(settings)
    shutil.copytree(onnx_dir, models / ONNX_DIR_NAME)
    manifest = json.loads((onnx_dir / "manifest.json").read_text(encoding="utf-8"))
    graph = models / ONNX_DIR_NAME / manifest["model_file"]
    with graph.open("r+b") as fh:
        fh.seek(graph.stat().st_size // 2)
        byte = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ArtifactMismatchError, match=r"sha256 of onnx/.*jixiao build"):
        open_encoder(settings)
    # A forced torch backend does not need the ONNX artifact.
    assert open_encoder(settings.model_copy(update={"encoder_backend": "torch"})).name != ONNX_ENCODER_NAME
