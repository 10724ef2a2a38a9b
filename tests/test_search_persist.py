"""Search-index persistence with the fake encoder: round trips, refusal of mismatched or
damaged artifacts, atomic and incremental rebuilds."""

from __future__ import annotations

from pathlib import Path

import pytest
from search_support import OPTIONS, SPECS, CountingEncoder, RenamedEncoder, built_index, ids, make_corpus

from indexer.corpus import Corpus
from indexer.encoder import FakeEncoder
from indexer.errors import ArtifactError, ArtifactMismatchError, InvalidInputError
from indexer.search import SearchQuery, build_index, load_index, persist, refresh_index
from indexer.tokenize import tokenize

corpus = pytest.fixture(make_corpus)
built = pytest.fixture(built_index)


# ---------------------------------------------------------------- persistence


def test_round_trip_gives_identical_results(built, corpus):
    index, out = built
    loaded = load_index(out, corpus, FakeEncoder(), **OPTIONS)
    for text in ("服务外包", "口岸通关", "融资难"):
        a, b = index.search(SearchQuery(text)), loaded.search(SearchQuery(text))
        assert a == b
    assert loaded.similar("p1") == index.similar("p1")
    manifest = loaded.manifest
    assert manifest["encoder"] == "fake-hash-64" and manifest["dim"] == 64
    assert manifest["corpus_hash"] == corpus.content_hash
    assert manifest["n_projects"] == 6
    assert (
        manifest["n_unique_texts"] == manifest["n_vectors"] < manifest["n_documents"]
    )  # repeats embedded once
    # The vectors (and their text keys) and the BM25 matrix are stored: the rest is cut from the corpus.
    assert sorted(p.name for p in out.rglob("*")) == ["lexical.npz", "manifest.json", "vectors.npz"]


def test_identical_texts_are_embedded_once(tmp_path, corpus):
    encoder = CountingEncoder()
    build_index(corpus, encoder, tmp_path / "i", **OPTIONS)
    assert len(encoder.seen) == len(set(encoder.seen))
    assert encoder.seen.count("扶持企业满意度") == 1


def test_missing_index_is_an_artifact_error(tmp_path, corpus):
    with pytest.raises(ArtifactError, match="jixiao build"):
        load_index(tmp_path / "none", corpus, FakeEncoder())


@pytest.mark.parametrize(
    ("encoder", "field"),
    [(FakeEncoder(dim=32), "encoder"), (RenamedEncoder(), "dim")],
)
def test_wrong_encoder_is_refused(built, corpus, encoder, field):
    _, out = built
    with pytest.raises(ArtifactMismatchError) as err:
        load_index(out, corpus, encoder)
    assert err.value.field == field
    assert str(err.value.expected) in str(err.value) and str(err.value.found) in str(err.value)


def test_changed_corpus_is_refused(built):
    _, out = built
    changed = make_corpus(SPECS[:5])
    with pytest.raises(ArtifactMismatchError) as err:
        load_index(out, changed, FakeEncoder())
    assert err.value.field == "corpus_hash"
    assert err.value.expected == changed.content_hash


def test_corrupted_file_is_refused(built, corpus):
    _, out = built
    name = "vectors.npz"
    path = out / name
    path.write_bytes(path.read_bytes()[:-3] + b"xyz")
    with pytest.raises(ArtifactMismatchError) as err:
        load_index(out, corpus, FakeEncoder())
    assert err.value.field == f"sha256 of {name}"


def test_missing_file_is_refused(built, corpus):
    _, out = built
    (out / "vectors.npz").unlink()
    with pytest.raises(ArtifactMismatchError, match=r"vectors\.npz"):
        load_index(out, corpus, FakeEncoder())


def test_crash_while_embedding_leaves_the_old_index_usable(built, corpus):
    index, out = built
    before = sorted(p.name for p in out.parent.iterdir())
    with pytest.raises(RuntimeError):
        build_index(make_corpus(SPECS[:4]), CountingEncoder(fail=True), out, **OPTIONS)
    reloaded = load_index(out, corpus, FakeEncoder(), **OPTIONS)
    assert reloaded.search(SearchQuery("服务外包")) == index.search(SearchQuery("服务外包"))
    assert sorted(p.name for p in out.parent.iterdir()) == before  # no temp dir left


def test_crash_while_writing_leaves_the_old_index_usable(built, corpus, monkeypatch):
    _, out = built

    def boom(path, **arrays):
        (Path(path).parent / "partial.npy").write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(persist.np, "savez", boom)
    with pytest.raises(OSError, match="disk full"):
        build_index(make_corpus(SPECS[:4]), FakeEncoder(), out, **OPTIONS)
    monkeypatch.undo()
    assert load_index(out, corpus, FakeEncoder(), **OPTIONS).n_projects == 6
    assert not (out / "partial.npy").exists()
    assert [p.name for p in out.parent.iterdir()] == ["index"]


# ---------------------------------------------------------------- incremental


def test_update_embeds_only_new_texts_and_equals_a_full_build(tmp_path):
    old_corpus = make_corpus(SPECS[:4])
    new_corpus = make_corpus(SPECS)
    first = CountingEncoder()
    old = build_index(old_corpus, first, tmp_path / "index", **OPTIONS)
    encoder = CountingEncoder()
    # What an HTTP ingest does: the index in memory lends its vectors.
    added, action = refresh_index(tmp_path / "index", new_corpus, encoder, previous=old, **OPTIONS)
    assert action == "updated"
    old_texts = set(old.docs.texts)
    assert encoder.seen and not (set(encoder.seen) & old_texts)
    assert set(encoder.seen) == set(added.docs.texts) - old_texts
    assert added.manifest["n_reused"] == len(old_texts & set(added.docs.texts))

    full = build_index(new_corpus, FakeEncoder(), tmp_path / "full", **OPTIONS)
    loaded = load_index(tmp_path / "index", new_corpus, FakeEncoder(), **OPTIONS)
    for text in ("服务外包", "融资", "招商引资", "口岸"):
        assert loaded.search(SearchQuery(text)) == full.search(SearchQuery(text))
    assert loaded.similar("p6") == full.similar("p6")


def test_refresh_loads_updates_or_builds(tmp_path):
    out = tmp_path / "index"
    small, big = make_corpus(SPECS[:3]), make_corpus(SPECS)
    _, action = refresh_index(out, small, FakeEncoder(), **OPTIONS)
    assert action == "built"
    _, action = refresh_index(out, small, FakeEncoder(), **OPTIONS)
    assert action == "up to date"
    encoder = CountingEncoder()
    index, action = refresh_index(out, big, encoder, **OPTIONS)
    assert action == "updated" and index.n_projects == 6
    assert "扶持企业满意度" not in encoder.seen  # already embedded for p1


def test_tokens_used_for_bm25_come_from_the_shared_tokenizer(built):
    index, _ = built
    sides = index.side_scores("服务外包企业")
    assert sides.tokens == tokenize("服务外包企业")
    assert sides.bm25.shape == (6,) and sides.dense.shape == (6,)


def test_query_vectors_are_cached_for_paging(tmp_path, corpus):
    class QueryCounter(FakeEncoder):
        calls = 0

        def encode_queries(self, texts):
            QueryCounter.calls += 1
            return super().encode_queries(texts)

    index = build_index(corpus, QueryCounter(), tmp_path / "i", **OPTIONS)
    first = index.search(SearchQuery("服务外包", limit=2))
    second = index.search(SearchQuery("服务外包", limit=2, offset=2))
    assert QueryCounter.calls == 1 and set(ids(first.hits)).isdisjoint(ids(second.hits))
    index.clear_query_cache()
    index.search(SearchQuery("服务外包"))
    assert QueryCounter.calls == 2


def test_empty_corpus_is_refused_clearly(tmp_path):
    with pytest.raises(InvalidInputError, match="no projects"):
        build_index(Corpus(()), FakeEncoder(), tmp_path / "i")
    assert not (tmp_path / "i").exists()
