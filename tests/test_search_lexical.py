"""The BM25 matrix stored with the search index: same scores as a rebuild, refused when
damaged, and an index written before it was stored still loads."""

from __future__ import annotations

import json

import numpy as np
import pytest
from search_support import OPTIONS, make_corpus

from indexer.artifacts import sha256_file
from indexer.encoder import FakeEncoder
from indexer.errors import ArtifactMismatchError
from indexer.search import SearchQuery, build_index, load_index, refresh_index
from indexer.search.lexical import LEXICAL_FILE, LexicalIndex
from indexer.tokenize import tokenize

QUERIES = ("服务外包", "口岸通关", "融资难", "服务 服务 外包", "没有的词")


def test_stored_matrix_scores_like_a_rebuild(tmp_path):
    corpus = make_corpus()
    built = LexicalIndex.build(corpus)
    built.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path, len(corpus))
    for text in QUERIES:
        tokens = tokenize(text)
        np.testing.assert_allclose(loaded.scores(tokens), built.scores(tokens), rtol=1e-6)
        assert [loaded.idf(t) for t in tokens] == [built.idf(t) for t in tokens]
    assert built.scores(tokenize("服务外包")).max() > 0
    with pytest.raises(ArtifactMismatchError, match="n_docs"):
        LexicalIndex.load(tmp_path, len(corpus) + 1)


def test_bm25s_scores_are_kept(tmp_path):
    import bm25s

    from indexer.search.lexical import project_tokens

    corpus = make_corpus()
    reference = bm25s.BM25()
    reference.index([project_tokens(p) for p in corpus.projects], show_progress=False)
    ours = LexicalIndex.build(corpus)
    for text in QUERIES:
        ids = [reference.vocab_dict[t] for t in tokenize(text) if t in reference.vocab_dict]
        want = reference.get_scores(ids) if ids else np.zeros(len(corpus))
        np.testing.assert_allclose(ours.scores(tokenize(text)), want, rtol=1e-6)


def test_index_without_stored_matrix_rebuilds_it(tmp_path):
    corpus = make_corpus()
    out = tmp_path / "index"
    index = build_index(corpus, FakeEncoder(), out, **OPTIONS)
    (out / LEXICAL_FILE).unlink()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    del manifest["files"][LEXICAL_FILE]  # as an index written before the matrix was stored
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    old = load_index(out, corpus, FakeEncoder(), **OPTIONS)
    for text in QUERIES[:3]:
        assert old.search(SearchQuery(text)) == index.search(SearchQuery(text))
    # `jixiao build` adds the matrix without embedding anything again.
    refreshed, status = refresh_index(out, corpus, FakeEncoder(), **OPTIONS)
    assert status == "updated" and refreshed.manifest["n_encoded"] == 0
    assert (out / LEXICAL_FILE).is_file()
    assert refresh_index(out, corpus, FakeEncoder(), **OPTIONS)[1] == "up to date"


def test_damaged_matrix_is_refused(tmp_path):
    corpus = make_corpus()
    out = tmp_path / "index"
    build_index(corpus, FakeEncoder(), out, **OPTIONS)
    path = out / LEXICAL_FILE
    with np.load(path) as stored:
        arrays = dict(stored)
    arrays["indices"] = arrays["indices"] + len(corpus)  # points past the last project
    np.savez(path, **arrays)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"][LEXICAL_FILE] = sha256_file(path)  # hash matches: the range check must catch it
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ArtifactMismatchError, match="indices"):
        load_index(out, corpus, FakeEncoder(), **OPTIONS)
