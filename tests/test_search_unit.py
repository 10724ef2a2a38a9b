"""Hybrid search with the fake encoder on a small synthetic corpus: fusion math,
filters, pagination, evidence, persistence, refusal of mismatches, atomic and
incremental rebuilds, similar projects."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from indexer.corpus import Corpus
from indexer.encoder import FakeEncoder
from indexer.errors import ArtifactError, ArtifactMismatchError, InvalidInputError, NotFoundError
from indexer.records import Amounts, Indicator, Project
from indexer.search import Fusion, SearchIndex, SearchQuery, build_index, load_index, persist, refresh_index
from indexer.search.documents import split_goal
from indexer.search.fusion import rank_projects, side_ranks
from indexer.text import fold_width_case
from indexer.tokenize import tokenize

# Textbook RRF, no dense margin: the unit tests check the fusion arithmetic itself.
OPTIONS = {"fusion": Fusion(60.0, 1.0, 1.0, None), "candidates": 200}

SPECS = [
    # id, district, department, name, total, goal, [(level1, code, indicator name)]
    (
        "p1",
        "广州市",
        "广州市商务局",
        "服务贸易专题",
        "400",
        "通过对服务贸易企业给予政策扶持，推动服务外包企业数量不断增加。促进邮轮产业健康发展。",
        [
            ("产出", "13", "扶持资金发放及时率"),
            ("产出", "11", "新增服务外包企业数量"),
            ("满意度", "31", "扶持企业满意度"),
        ],
    ),
    (
        "p2",
        "南沙区",
        "广州南沙经济技术开发区商务局",
        "2024年服务贸易专题",
        "780",
        "通过对服务贸易企业给予政策扶持，推动服务外包企业数量不断增加。",
        [
            ("产出", "12", "扶持资金拨付正确率"),
            ("产出", "11", "新增服务外包企业数量"),
            ("满意度", "31", "扶持企业满意度"),
        ],
    ),
    (
        "p3",
        "天河区",
        "广州市天河区商务和金融工作局",
        "天河商圈打造工作经费",
        "122.5",
        "加快整合天河路商圈资源，推动步行街业态升级；引进品牌首店。",
        [("产出", "11", "首店引进数量"), ("产出", "11", "新增知名品牌数")],
    ),
    (
        "p4",
        "花都区",
        "广州市花都区科技工业商务和信息化局",
        "口岸车检场水电费",
        None,
        "保障区口岸通关正常的运作，为进出口企业提供优质服务。",
        [("产出", "13", "费用支付及时率"), ("满意度", "31", "服务对象满意度")],
    ),
    (
        "p5",
        "荔湾区",
        "广州市荔湾区商务和投资促进局",
        "招商引资经费",
        "404",
        "开展日常招商工作，吸引更多企业落户荔湾。",
        [("产出", "11", "举办招商推介活动场次"), ("效益", "21", "注册落地项目")],
    ),
    (
        "p6",
        "花都区",
        "广州市花都区科技工业商务和信息化局",
        "科技金融服务工作经费",
        "50",
        "健全科技金融对接服务体系，有效解决企业融资难题，推动科技型中小企业快速发展。",
        [("产出", "11", "组织企业发布融资需求数量"), ("满意度", "31", "企业满意率")],
    ),
]


def make_project(spec: tuple, file: str = "t.txt", line: int = 1) -> Project:
    pid, district, dept, name, total, goal, inds = spec
    indicators = tuple(
        Indicator(pid, i + 1, l1, code, ind, ind, None, None, None) for i, (l1, code, ind) in enumerate(inds)
    )
    amounts = Amounts(total=Decimal(total) if total else None)
    return Project(pid, file, line, district, dept, None, name, name, amounts, goal, goal, indicators)


def make_corpus(specs: list = SPECS) -> Corpus:
    return Corpus(tuple(make_project(s, line=i + 1) for i, s in enumerate(specs)))


class CountingEncoder(FakeEncoder):
    """FakeEncoder that records every passage it embeds (and can fail on demand)."""

    def __init__(self, dim: int = 64, fail: bool = False) -> None:
        super().__init__(dim)
        self.seen: list[str] = []
        self.fail = fail

    def encode_passages(self, texts):
        if self.fail:
            raise RuntimeError("encoder crashed mid-build")
        self.seen.extend(texts)
        return super().encode_passages(texts)


class RenamedEncoder(FakeEncoder):
    """Same name as FakeEncoder(64) but another dimension."""

    def __init__(self) -> None:
        super().__init__(dim=32)
        self.name = "fake-hash-64"


@pytest.fixture
def corpus() -> Corpus:
    return make_corpus()


@pytest.fixture
def built(tmp_path: Path, corpus: Corpus) -> tuple[SearchIndex, Path]:
    out = tmp_path / "index"
    return build_index(corpus, FakeEncoder(), out, **OPTIONS), out


def ids(hits) -> list[str]:
    return [h.project_id for h in hits]


# ---------------------------------------------------------------- fusion math


def test_rrf_fuses_ranks_of_both_sides():
    bm25 = np.array([3.0, 0.0, 1.0, 2.0])
    dense = np.array([0.1, 0.9, 0.5, -np.inf])
    ranking = rank_projects(bm25, dense, np.ones(4, bool), Fusion(60, 1, 1), depth=10)
    assert ranking.bm25_rank.tolist() == [1, 0, 3, 2]
    assert ranking.dense_rank.tolist() == [3, 1, 2, 0]
    assert ranking.order.tolist() == [0, 2, 1, 3]
    expected = [1 / 61 + 1 / 63, 1 / 63 + 1 / 62, 1 / 61, 1 / 62]
    assert ranking.fused.tolist() == pytest.approx(expected)


def test_rrf_weights_and_single_side_modes():
    bm25 = np.array([3.0, 0.0, 1.0, 2.0])
    dense = np.array([0.1, 0.9, 0.5, 0.2])
    mask = np.ones(4, bool)
    dense_heavy = rank_projects(bm25, dense, mask, Fusion(1, 0.01, 1), depth=10)
    assert dense_heavy.order.tolist()[:2] == [1, 2]
    assert rank_projects(bm25, dense, mask, Fusion(60, 1, 1), 10, mode="bm25").order.tolist() == [0, 3, 2]
    assert rank_projects(bm25, dense, mask, Fusion(60, 1, 1), 10, mode="dense").order.tolist() == [1, 2, 3, 0]


def test_dense_margin_keeps_only_projects_near_the_best_but_every_bm25_match():
    bm25 = np.array([0.0, 0.0, 0.0, 2.0])
    dense = np.array([0.90, 0.87, 0.80, 0.70])
    mask = np.ones(4, bool)
    ranking = rank_projects(bm25, dense, mask, Fusion(60, 1, 1, dense_margin=0.05), depth=10)
    assert ranking.dense_rank.tolist() == [1, 2, 0, 0]
    assert sorted(ranking.order.tolist()) == [0, 1, 3]  # 3 stays: BM25 matched it
    # The margin is relative to the best project the filters allow.
    only_low = np.array([False, False, True, True])
    filtered = rank_projects(bm25, dense, only_low, Fusion(60, 1, 1, dense_margin=0.05), depth=10)
    assert filtered.dense_rank.tolist() == [0, 0, 1, 0]
    unlimited = rank_projects(bm25, dense, mask, Fusion(60, 1, 1), depth=10)
    assert unlimited.order.size == 4


def test_side_ranks_respect_mask_depth_and_break_ties_by_position():
    scores = np.array([1.0, 2.0, 2.0, 0.5])
    assert side_ranks(scores, np.array([True, True, True, True]), depth=2).tolist() == [0, 1, 2, 0]
    assert side_ranks(scores, np.array([True, False, True, True]), depth=10).tolist() == [2, 0, 1, 3]


def test_side_ranks_equal_a_full_sort_on_large_tied_score_arrays():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 50, size=5000).astype(np.float32)  # many ties at every cut
    eligible = rng.random(5000) < 0.7
    for depth in (1, 7, 200, 3499, 10_000):
        candidates = np.flatnonzero(eligible)
        full = candidates[np.lexsort((candidates, -scores[candidates]))][:depth]
        expected = np.zeros(5000, dtype=np.int64)
        expected[full] = np.arange(1, full.size + 1)
        assert np.array_equal(side_ranks(scores, eligible, depth), expected), depth


def test_hit_scores_are_the_rrf_of_their_ranks(built):
    index, _ = built
    page = index.search(SearchQuery("服务外包企业"))
    assert page.hits
    for hit in page.hits:
        expected = sum(1 / (60 + r) for r in (hit.bm25_rank, hit.dense_rank) if r)
        assert hit.score == pytest.approx(expected)
        assert (hit.bm25_score is None) == (hit.bm25_rank is None)
    assert [h.score for h in page.hits] == sorted((h.score for h in page.hits), reverse=True)


# ---------------------------------------------------------------- search behaviour


def test_lexical_match_ranks_first_with_highlighted_evidence(built):
    index, _ = built
    hits = index.search(SearchQuery("服务外包", limit=3)).hits
    assert set(ids(hits[:2])) == {"p1", "p2"}
    for hit in hits[:2]:
        assert hit.bm25_rank in (1, 2)
        ev = hit.evidence
        marked = [fold_width_case(ev.text[h.start : h.end]) for h in ev.highlights]
        assert any("服务外包" in m for m in marked)


def test_indicator_evidence_names_its_ordinal_and_code(built):
    index, _ = built
    hit = index.search(SearchQuery("首店引进数量", limit=1)).hits[0]
    assert hit.project_id == "p3"
    assert hit.evidence.kind == "indicator"
    assert (hit.evidence.indicator_ordinal, hit.evidence.level2_code) == (1, "11")
    assert hit.evidence.text[hit.evidence.highlights[0].start :].startswith("首店")


def test_goal_sentence_evidence(built):
    index, _ = built
    hit = index.search(SearchQuery("邮轮产业", limit=1)).hits[0]
    assert hit.project_id == "p1"
    assert hit.evidence.kind == "goal" and "邮轮" in hit.evidence.text
    assert "。" not in hit.evidence.text[:-1]  # one sentence, not the whole goal


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (SearchQuery("企业", district="南沙区"), {"p2"}),
        (SearchQuery("企业", district="南沙"), {"p2"}),
        (SearchQuery("企业", district="花都区"), {"p4", "p6"}),
        (SearchQuery("企业", department="天河区"), {"p3"}),
        (SearchQuery("企业", code="21"), {"p5"}),
        (SearchQuery("企业", code="13"), {"p1", "p4"}),
        (SearchQuery("企业", code="3"), {"p1", "p2", "p4", "p6"}),
        (SearchQuery("企业", level1="效益指标"), {"p5"}),
        (SearchQuery("企业", min_amount=400), {"p1", "p2", "p5"}),
        (SearchQuery("企业", max_amount=122.5), {"p3", "p6"}),
        (SearchQuery("企业", min_amount=100, max_amount=500), {"p1", "p3", "p5"}),
        (SearchQuery("企业", district="花都区", min_amount=0), {"p6"}),
    ],
)
def test_filters(built, query, expected):
    index, _ = built
    page = index.search(query)
    assert set(ids(page.hits)) == expected
    assert page.total == len(expected)


def test_filter_with_no_match_gives_an_empty_page(built):
    index, _ = built
    page = index.search(SearchQuery("企业", district="番禺区"))
    assert page.hits == () and page.total == 0


def test_pagination_windows_the_same_ranking(built):
    index, _ = built
    full = index.search(SearchQuery("服务企业", limit=6))
    first = index.search(SearchQuery("服务企业", limit=2))
    second = index.search(SearchQuery("服务企业", limit=2, offset=2))
    beyond = index.search(SearchQuery("服务企业", limit=2, offset=50))
    assert ids(first.hits) + ids(second.hits) == ids(full.hits)[:4]
    assert first.total == second.total == full.total == 6
    assert (second.offset, second.limit) == (2, 2)
    assert beyond.hits == () and beyond.total == 6


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery("服务企业", limit=6),
        SearchQuery("企业", limit=2, offset=1),
        SearchQuery("企业", district="番禺区"),
    ],
)
def test_search_ids_are_the_ranking_of_search(built, query):
    index, _ = built
    assert index.search_ids(query) == ids(index.search(query).hits)


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery("  "),
        SearchQuery("x", limit=0),
        SearchQuery("x", offset=-1),
        SearchQuery("x", mode="magic"),
        SearchQuery("x", min_amount=5, max_amount=1),
        SearchQuery("x", code="abc"),
        SearchQuery("x", level1="投入"),
    ],
)
def test_invalid_queries_are_refused(built, query):
    index, _ = built
    with pytest.raises(InvalidInputError):
        index.search(query)


def test_unknown_words_still_rank_by_meaning(built):
    index, _ = built
    page = index.search(SearchQuery("zzz"))
    assert page.total == 6
    assert all(h.bm25_rank is None for h in page.hits)


def test_single_side_modes(built):
    index, _ = built
    bm25 = index.search(SearchQuery("服务外包", mode="bm25"))
    assert set(ids(bm25.hits[:2])) == {"p1", "p2"}
    assert all(h.dense_rank is None and h.bm25_rank for h in bm25.hits)
    assert ids(index.search(SearchQuery("邮轮", mode="bm25")).hits) == ["p1"]
    dense = index.search(SearchQuery("服务外包", mode="dense"))
    assert dense.total == 6 and all(h.bm25_rank is None for h in dense.hits)


def test_goal_split_into_sentences_and_clauses():
    assert split_goal("一是扶持企业。二是推动发展；三") == ["一是扶持企业。", "二是推动发展；"]
    long = "，".join(["推动服务贸易企业数量不断增加"] * 10) + "。"
    pieces = split_goal(long)
    assert len(pieces) > 1 and all(len(p) <= 80 for p in pieces)
    assert "".join(pieces) == long


# ---------------------------------------------------------------- similar


def test_similar_finds_the_counterpart_in_another_district(built):
    index, _ = built
    hits = index.similar("p1", k=3)
    assert hits[0].project_id == "p2"
    assert all(h.district != "广州市" for h in hits)
    assert hits[0].cosine_rank == 1 and 0 < hits[0].overlap <= 1 and hits[0].overlap_rank >= 1
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_similar_district_option_and_errors(built):
    index, _ = built
    same = index.similar("p4", k=10)
    assert "p6" not in ids(same) and "p4" not in ids(same)
    assert "p6" in ids(index.similar("p4", k=10, include_same_district=True))
    assert len(index.similar("p1", k=2)) == 2
    with pytest.raises(NotFoundError):
        index.similar("nope")


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
