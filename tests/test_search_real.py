"""Hybrid search with the real encoder on the seed corpus (slow).

Uses the session's real-encoder store (``conftest.real_models``, built once per
session into a temp dir), with the shipped fusion settings.
"""

from __future__ import annotations

import pytest

from api.loaders import load_corpus, open_encoder, open_index
from api.settings import Settings
from indexer.search import SearchIndex, SearchQuery
from indexer.tokenize import tokenize

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def index(real_models: Settings) -> SearchIndex:
    corpus = load_corpus(real_models)
    return open_index(real_models, corpus, open_encoder(real_models))


def project_tokens(index: SearchIndex, project_id: str) -> set[str]:
    p = index.corpus.get(project_id)
    return set(tokenize(" ".join([p.name, p.goal, *(i.name for i in p.indicators)])))


def test_paraphrase_without_shared_words_finds_projects_in_several_districts(index):
    # 饭馆/酒楼 occur nowhere in the corpus; the tables say 餐饮 / 住宿餐饮.
    query = "饭馆酒楼"
    query_tokens = set(tokenize(query))
    hits = index.search(SearchQuery(query, limit=10)).hits
    catering = [
        h
        for h in hits
        if "餐饮" in " ".join([h.project_name, index.corpus.get(h.project_id).goal, h.evidence.text])
        or any("餐饮" in i.name for i in index.corpus.get(h.project_id).indicators)
    ]
    assert len(catering) >= 4
    assert len({h.district for h in catering}) >= 2
    for hit in catering:
        assert not (query_tokens & project_tokens(index, hit.project_id))
        assert hit.bm25_rank is None and hit.dense_rank is not None
    assert hits[0] in catering


def test_service_outsourcing_finds_service_trade_projects_everywhere(index):
    hits = index.search(SearchQuery("服务外包", limit=10)).hits
    trade = [h for h in hits if "服务贸易" in h.project_name]
    assert len(trade) >= 6
    assert {"广州市", "南沙区", "花都区"} <= {h.district for h in trade}
    assert any("服务外包" in h.evidence.text[s.start : s.end] for h in hits for s in h.evidence.highlights)


def test_financing_query_ranks_the_financing_projects_first(index):
    hits = index.search(SearchQuery("帮中小企业解决融资难", limit=3)).hits
    names = {h.project_name for h in hits}
    assert names == {"科技金融服务工作经费", "数字金融服务平台工作经费", "金融服务工作经费"}
    assert {h.district for h in hits} == {"花都区", "天河区"}


def test_similar_service_trade_project_returns_other_districts_service_trade(index):
    source = next(p for p in index.corpus.projects if p.district == "广州市" and p.name == "服务贸易专题")
    hits = index.similar(source.id, k=4)
    assert all(h.district != "广州市" for h in hits)
    assert all("服务贸易" in h.project_name for h in hits)
    assert len({h.district for h in hits}) >= 3


def test_filters_with_the_real_encoder(index):
    page = index.search(SearchQuery("口岸运行保障", district="花都区", limit=5))
    assert page.hits and all(h.district == "花都区" for h in page.hits)
    assert all("口岸" in h.project_name for h in page.hits)


def test_dense_margin_lists_what_the_query_is_about_not_the_whole_corpus(index):
    page = index.search(SearchQuery("纳统", limit=50))
    assert page.total < index.n_projects / 4, page.total
    # Every project with 纳统 in an indicator is still listed.
    wanted = {p.id for p in index.corpus.projects if any("纳统" in i.name for i in p.indicators)}
    assert wanted and wanted <= {h.project_id for h in page.hits}


def test_similar_exhibition_project_finds_fairs_of_other_districts(index):
    source = next(p for p in index.corpus.projects if p.name == "商务会展专项经费")
    names = [h.project_name for h in index.similar(source.id, k=5)]
    fairs = [n for n in names if any(w in n for w in ("博览会", "展览会", "交会", "会展"))]
    assert len(fairs) >= 3, names
