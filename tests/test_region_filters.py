"""Year and region filters and breakdowns on synthetic projects of two years and two provinces:
search, similar projects, stats, the reuse report, the corpus hash, the CLI and the API."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from indexer.corpus import Corpus
from indexer.encoder import FakeEncoder
from indexer.errors import InvalidInputError
from indexer.records import Amounts, Indicator, Project
from indexer.reuse import ReuseParams, find_reuse, report_to_dict
from indexer.search import Fusion, SearchQuery, build_index
from indexer.search.query import region_matches
from indexer.stats import RegionCount, YearCount, corpus_stats

GOAL = "通过对服务贸易企业给予政策扶持，推动服务外包企业数量不断增加，促进产业健康发展。"
# id, (province, city, county), year, district, department, name
SPECS = [
    ("a1", ("陕西省", "安康市", "汉阴县"), 2022, "汉阴县", "汉阴县商务局", "服务贸易扶持专项"),
    ("a2", ("陕西省", "安康市", "汉阴县"), 2023, "汉阴县", "汉阴县商务局", "服务外包企业培育"),
    ("a3", ("陕西省", "安康市", None), 2023, "安康市", "安康市商务局", "服务贸易企业扶持资金"),
    ("b1", ("广东省", "广州市", "南沙区"), 2022, "南沙区", "广州南沙经济技术开发区商务局", "服务贸易专题"),
    ("b2", ("广东省", "广州市", None), 2023, "广州市", "广州市商务局", "服务外包专项资金"),
    ("u1", (None, None, None), None, "某区", "某区商务局", "服务贸易企业补助"),
]


def _project(pid, region, year, district, department, name) -> Project:
    indicators = (
        Indicator(pid, 1, "产出", "11", "新增服务外包企业数量", "新增服务外包企业数量", None, "≥5家", None),
        Indicator(pid, 2, "满意度", "31", "扶持企业满意度", "扶持企业满意度", None, "≥90%", None),
    )
    province, city, county = region
    return Project(
        pid, "synthetic.txt", len(pid), district, department, None, name, name,
        Amounts(total=Decimal("100")), GOAL, GOAL, indicators,
        province=province, city=city, county=county, budget_year=year,
    )  # fmt: skip


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(tuple(_project(*s) for s in SPECS))


@pytest.fixture(scope="module")
def index(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("region") / "index"
    return build_index(corpus, FakeEncoder(), out, fusion=Fusion(60.0, 1.0, 1.0, None), candidates=200)


def _ids(page) -> set[str]:
    return {h.project_id for h in page.hits}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {"a1", "a2", "a3", "b1", "b2", "u1"}),
        ({"year": 2022}, {"a1", "b1"}),
        ({"year": 2023}, {"a2", "a3", "b2"}),
        ({"year": 2021}, set()),
        ({"province": "陕西省"}, {"a1", "a2", "a3"}),
        ({"province": "陕西"}, {"a1", "a2", "a3"}),  # the name's start
        ({"province": "广东", "year": 2023}, {"b2"}),
        ({"city": "安康"}, {"a1", "a2", "a3"}),
        ({"county": "汉阴县"}, {"a1", "a2"}),
        ({"county": "南沙区", "year": 2023}, set()),
        ({"province": "省"}, set()),  # one character is no name's start
    ],
)
def test_search_filters_by_year_and_region(index, filters, expected):
    page = index.search(SearchQuery("服务贸易", limit=50, **filters))
    assert _ids(page) == expected
    for hit in page.hits:  # hits carry their project's region and year
        project = index.corpus.get(hit.project_id)
        assert (hit.province, hit.city, hit.county, hit.budget_year) == (
            project.province, project.city, project.county, project.budget_year,
        )  # fmt: skip


def test_bad_year_and_blank_region_are_refused(index):
    with pytest.raises(InvalidInputError, match="year"):
        index.search(SearchQuery("服务贸易", year=20))
    with pytest.raises(InvalidInputError, match="province"):
        index.search(SearchQuery("服务贸易", province="  "))


def test_region_matches():
    assert region_matches("内蒙古自治区", "内蒙古") and region_matches("汉阴县", " 汉阴县 ")
    assert not region_matches(None, "陕西") and not region_matches("陕西省", "西")


def test_similar_projects_filter_by_year(index):
    all_years = {h.project_id for h in index.similar("a1", k=10)}
    assert all_years == {"a3", "b1", "b2", "u1"}  # other districts, any year
    same_year = index.similar("a1", k=10, year=2023)
    assert {h.project_id for h in same_year} == {"a3", "b2"}  # a2 is a1's district
    assert {h.budget_year for h in same_year} == {2023}
    with_district = index.similar("a1", k=10, year=2023, include_same_district=True)
    assert {h.project_id for h in with_district} == {"a2", "a3", "b2"}


def test_stats_count_by_year_and_region(corpus):
    stats = corpus_stats(corpus)
    assert [(y.year, y.projects) for y in stats.years] == [(2022, 2), (2023, 3), (None, 1)]
    assert stats.years[0] == YearCount(2022, 2, 4, Decimal("200"))
    regions = {(r.province, r.city, r.county): r.projects for r in stats.regions}
    assert regions == {
        ("陕西省", "安康市", "汉阴县"): 2,
        ("陕西省", "安康市", None): 1,
        ("广东省", "广州市", "南沙区"): 1,
        ("广东省", "广州市", None): 1,
        (None, None, None): 1,
    }
    assert stats.regions[0] == RegionCount("陕西省", "安康市", "汉阴县", 2, 4, Decimal("200"))


def test_reuse_report_breaks_down_by_year(corpus):
    report = find_reuse(corpus, FakeEncoder(), ReuseParams(theme_k_min=2, theme_k_max=3))
    by_year = {m.group: m for m in report.by_year}
    assert list(by_year) == ["2022", "2023", "未知"]
    assert [by_year[y].n_projects for y in by_year] == [2, 3, 1]
    # every project shares the goal: all are reused, in every year
    assert all(m.n_goal_reused == m.n_projects for m in report.by_year)
    assert [m["group"] for m in report_to_dict(report)["by_year"]] == ["2022", "2023", "未知"]


def test_corpus_hash_covers_region_and_year(corpus):
    changed_year = dataclasses.replace(corpus.projects[0], budget_year=2024)
    changed_region = dataclasses.replace(corpus.projects[0], county=None)
    for project in (changed_year, changed_region):
        other = Corpus((project, *corpus.projects[1:]))
        assert other.content_hash != corpus.content_hash


def test_api_search_similar_and_stats_take_year_and_region(tmp_path_factory):
    from api_support import session_models
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(session_models(tmp_path_factory)), raise_server_exceptions=False) as client:
        hits = client.get("/api/search", params={"q": "信息化运维", "year": 2025, "limit": 50}).json()["hits"]
        assert hits
        assert {(h["budget_year"], h["province"], h["city"]) for h in hits} == {(2025, "广东省", "广州市")}
        assert client.get("/api/search", params={"q": "信息化运维", "province": "陕西"}).json()["total"] == 0
        params = {"q": "运维", "county": "南沙区", "limit": 50}
        nansha = client.get("/api/search", params=params).json()
        assert nansha["total"] > 0 and {h["district"] for h in nansha["hits"]} == {"南沙区"}
        assert client.get("/api/search", params={"q": "运维", "year": 1800}).status_code == 422
        stats = client.get("/api/stats").json()
        assert [(y["year"], y["projects"]) for y in stats["years"]] == [(2025, 57), (None, 116)]
        assert {r["county"]: r["projects"] for r in stats["regions"]}["南沙区"] == 28
        source = next(h for h in hits)["project_id"]
        similar = client.get(f"/api/projects/{source}/similar", params={"year": 2025, "k": 5}).json()
        # the only 2025 projects are the city bureau's own: none from another district
        assert similar["year"] == 2025 and similar["hits"] == []
        same = client.get(
            f"/api/projects/{source}/similar", params={"year": 2025, "include_same_district": True}
        ).json()
        assert same["hits"] and {h["budget_year"] for h in same["hits"]} == {2025}


def test_cli_stats_list_years_and_regions(corpus, tmp_path: Path):
    from api.cli.corpus_cmd import _render, stats_json

    data = stats_json(corpus_stats(corpus), tmp_path / "corpus.sqlite")
    assert data["per_year"][0] == {"year": 2022, "projects": 2, "indicators": 4}
    assert data["per_region"][-1] == {
        "province": None,
        "city": None,
        "county": None,
        "projects": 1,
        "indicators": 2,
    }
    text = _render(data)
    assert "per budget year:" in text and "(unknown)" in text and "陕西省 安康市 汉阴县" in text
