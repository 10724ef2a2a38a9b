"""Hybrid search with the fake encoder on a small synthetic corpus: fusion math,
filters, pagination, evidence, similar projects (persistence and rebuilds:
test_search_persist.py)."""

from __future__ import annotations

import numpy as np
import pytest
from search_support import built_index, ids, make_corpus

from indexer.errors import InvalidInputError, NotFoundError
from indexer.search import Fusion, SearchQuery
from indexer.search.documents import split_goal
from indexer.search.fusion import rank_projects, side_ranks
from indexer.text import fold_width_case

corpus = pytest.fixture(make_corpus)
built = pytest.fixture(built_index)


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
        # Nothing to search for: punctuation, symbols, zero-width marks, controls.
        SearchQuery("。，、？！"),
        SearchQuery("!!!???"),
        SearchQuery("％％"),
        SearchQuery("\u200b\u200b"),
        SearchQuery("\x00"),
        SearchQuery("😀"),
        # A blank filter is refused as province's always was, not silently matching nothing.
        SearchQuery("x", district=" "),
        SearchQuery("x", department="\u3000"),
    ],
)
def test_invalid_queries_are_refused(built, query):
    index, _ = built
    with pytest.raises(InvalidInputError):
        index.search(query)


@pytest.mark.parametrize("text", ["２０２５", "≥95%", "e\u0301", "Ⅳ", "满意度。"])
def test_a_letter_or_digit_in_any_form_is_searchable(built, text):
    index, _ = built
    assert index.search(SearchQuery(text)).total >= 0


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


@pytest.mark.parametrize(
    ("traditional", "simple"), [("服務外包企業", "服务外包企业"), ("郵輪產業", "邮轮产业")]
)
def test_a_query_in_traditional_script_finds_what_the_simplified_one_finds(built, traditional, simple):
    index, _ = built
    for mode in ("bm25", "hybrid"):
        found = index.search(SearchQuery(traditional, mode=mode))
        assert found.total and found == index.search(SearchQuery(simple, mode=mode))


@pytest.mark.parametrize(
    ("traditional", "simple"),
    [
        (SearchQuery("企業", district="南沙區"), SearchQuery("企业", district="南沙区")),
        (SearchQuery("企業", district=" 花都區 "), SearchQuery("企业", district="花都区")),
        (SearchQuery("企業", department="天河區"), SearchQuery("企业", department="天河区")),
        (SearchQuery("企業", level1="效益指標"), SearchQuery("企业", level1="效益指标")),
    ],
)
def test_filters_in_traditional_script_match_as_simplified(built, traditional, simple):
    index, _ = built
    found = index.search(traditional)
    assert found.total and found == index.search(simple)
