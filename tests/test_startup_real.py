"""Start-up tables of the real encoder (slow): the same vectors, BM25 tokens and search hits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from api.loaders import load_corpus
from api.settings import Settings
from indexer import tokenize
from indexer.encoder import load_encoder
from indexer.ingest import read_path
from indexer.search import SearchQuery, load_index
from indexer.startup import build_startup, open_startup

pytest.importorskip("onnxruntime")
pytestmark = pytest.mark.slow

QUERIES = [
    "道路建设",
    "帮中小企业解决融资难",
    "<s>资金</s> 拨付及时率",
    "ＡＢＣ　全角 满意度≥95%",
    "x" * 2000,
]


@pytest.fixture(scope="module")
def tables(real_models: Settings, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("startup") / "startup"
    build_startup(out, real_models.onnx_encoder_dir)
    found = open_startup(out, real_models.onnx_encoder_dir)
    assert found is not None
    return found


def encoders(settings: Settings, pieces: Path):
    full = load_encoder("e5-small", settings.encoder_dir, backend="onnx")
    quick = load_encoder("e5-small", settings.encoder_dir, backend="onnx", piece_table=pieces)
    return full, quick


def test_the_piece_table_gives_the_same_vectors(real_models, tables, seed_paths):
    full, quick = encoders(real_models, tables.pieces)
    texts: list[str] = []
    for path in seed_paths:
        for project in read_path(path).table.projects:
            texts += [project.name, project.goal, *(i.name for i in project.indicators)]
    texts = [*dict.fromkeys(t for t in texts if t), *QUERIES]
    assert np.array_equal(quick.encode_passages(texts), full.encode_passages(texts))
    for query in QUERIES:
        assert np.array_equal(quick.encode_queries([query]), full.encode_queries([query]))


def test_search_with_the_tables_ranks_and_scores_as_without(real_models, tables, monkeypatch):
    corpus = load_corpus(real_models)
    full, quick = encoders(real_models, tables.pieces)
    expected = {}
    for query in QUERIES:
        page = load_index(real_models.index_dir, corpus, full).search(SearchQuery(text=query, limit=20))
        expected[query] = [(h.project_id, h.score, h.dense_rank, h.bm25_rank, h.evidence) for h in page.hits]
    monkeypatch.setattr(tokenize, "_tokenizer", None)
    assert tokenize.use_table(tables.jieba)
    index = load_index(real_models.index_dir, corpus, quick)
    for query in QUERIES:
        page = index.search(SearchQuery(text=query, limit=20))
        got = [(h.project_id, h.score, h.dense_rank, h.bm25_rank, h.evidence) for h in page.hits]
        assert got == expected[query], query
    assert any(expected.values())
