"""Reuse detection on the five seed tables (ingested into a temp database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.corpus import Corpus
from indexer.encoder import FakeEncoder
from indexer.reuse import ReuseParams, ReuseReport, find_reuse
from indexer.reuse.detect import amount_only_groups, goal_clusters, set_clusters
from indexer.store import CorpusStore

SERVICE_TRADE = "服务贸易专题"


@pytest.fixture(scope="module")
def seed_corpus(seed_paths: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    store = CorpusStore(tmp_path_factory.mktemp("reuse_seed") / "corpus.sqlite")
    store.ingest(seed_paths)
    return store.load()


@pytest.fixture(scope="module")
def seed_report(seed_corpus: Corpus) -> ReuseReport:
    return find_reuse(seed_corpus, FakeEncoder())


def _city_service_trade(corpus: Corpus) -> list[str]:
    return [p.id for p in corpus.projects if p.district == "广州市" and p.name == SERVICE_TRADE]


def test_eleven_city_service_trade_rows_form_one_near_duplicate_cluster(seed_corpus: Corpus):
    ids = _city_service_trade(seed_corpus)
    assert len(ids) == 11
    clusters = goal_clusters(seed_corpus.projects, ReuseParams())
    holding = [c for c in clusters if any(m.project_id in ids for m in c.members)]
    assert len(holding) == 1
    cluster = holding[0]
    assert set(ids) <= {m.project_id for m in cluster.members}
    assert not cluster.exact
    # Ten rows share the goal verbatim; one appends the cruise-industry (邮轮) clause.
    city_rows = [m for m in cluster.members if m.project_id in ids]
    changed = [m for m in city_rows if m.diff]
    assert len(changed) == 1
    assert [d.op for d in changed[0].diff] == ["insert"]
    assert "邮轮" in changed[0].diff[0].member and "邮轮" not in cluster.shared_text
    assert cluster.shared_text.startswith("通过对服务贸易企业给予政策扶持")


def test_service_trade_goal_is_copied_by_other_districts(seed_corpus: Corpus):
    """Found while building the report: Nansha and Tianhe repeat the city's goal verbatim for their
    own 服务贸易专题 projects (city grants passed down), Huadu with small edits."""
    (cluster,) = [c for c in goal_clusters(seed_corpus.projects, ReuseParams()) if c.n_projects >= 10]
    assert cluster.crosses_districts
    outside = {m.district: m for m in cluster.members if m.district != "广州市"}
    assert {"南沙区", "天河区"} <= set(outside)
    assert not outside["南沙区"].diff and not outside["天河区"].diff
    if "花都区" in outside:
        assert outside["花都区"].diff and outside["花都区"].similarity < 1.0


def test_other_goal_clusters_on_the_seed(seed_corpus: Corpus):
    clusters = goal_clusters(seed_corpus.projects, ReuseParams())
    # Tianhe: three different financial-supervision projects share one goal word for word.
    finance = next(c for c in clusters if c.shared_text.startswith("贯彻落实国家、省金融工作会议"))
    assert finance.exact and finance.n_projects == 3 and finance.districts == ("天河区",)
    # Huadu's three 十四五 planning projects: one template with the subject swapped.
    plans = next(c for c in clusters if "十四五" in c.shared_text)
    assert plans.n_projects == 3 and not plans.exact
    assert all(m.similarity >= 0.5 for m in plans.members)
    # Huadu's paired-assistance goals: one template, the place swapped (新疆 / 西藏 / 贵州).
    aid = next(c for c in clusters if c.shared_text.startswith("深入推进东西部协作"))
    assert aid.n_projects == 3 and aid.districts == ("花都区",)
    # The city's port-inspection subsidies: one template with clauses inserted (海关 / 口岸 / 海事).
    ports = next(c for c in clusters if any(m.project_name == "海关部门综合性补助经费" for m in c.members))
    assert {m.project_name for m in ports.members} >= {"口岸通关工作补助项目", "海事部门综合性补助经费"}
    # Members are joined through verified pairs; none is far from its cluster's template.
    for c in clusters:
        for m in c.members:
            assert m.similarity >= 0.3, (c.id, m.project_name)


def test_service_trade_indicator_set_repeated_and_amount_only(seed_corpus: Corpus):
    ids = set(_city_service_trade(seed_corpus))
    sets = set_clusters(seed_corpus.projects, ReuseParams())
    biggest = sets[0]
    assert biggest.exact and biggest.n_projects == 10
    assert {m.project_id for m in biggest.members} <= ids
    groups = amount_only_groups(seed_corpus.projects, ReuseParams())
    numbers_only = [g for g in groups if g.kind == "numbers_only"]
    assert any({m.project_id for m in g.members} <= ids and len(g.members) == 10 for g in numbers_only)
    amounts_only = [g for g in groups if g.kind == "amounts_only"]
    assert amounts_only and all(len(set(g.distinct_amounts)) > 1 for g in amounts_only)


def test_seed_report_measures(seed_report: ReuseReport, seed_corpus: Corpus):
    assert seed_report.n_projects == len(seed_corpus)
    districts = {m.group: m for m in seed_report.by_district}
    assert set(districts) == {p.district for p in seed_corpus.projects}
    assert sum(m.n_projects for m in seed_report.by_district) == len(seed_corpus)
    city = districts["广州市"]
    assert city.n_goal_reused >= 11
    assert 0 < city.boilerplate_indicator_share < 1
    top = seed_report.top_names[0]
    assert top.n_projects >= 10 and top.n_districts >= 2
    assert seed_report.themes and seed_report.map_points


@pytest.mark.slow
def test_seed_themes_with_the_real_encoder(seed_corpus: Corpus, real_encoder):
    report = find_reuse(seed_corpus, real_encoder)
    assert report.theme_silhouette is not None and report.theme_silhouette > 0
    keywords = {w for t in report.themes for w in t.keywords}
    assert any("口岸" in w for w in keywords)
    assert any("服务贸易" in w for w in keywords)
    assert any("信息" in w for w in keywords)
    assert sum(t.n_projects for t in report.themes) == len(seed_corpus)


def test_report_command_writes_html_json_and_csv(
    seed_paths: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from typer.testing import CliRunner

    from api.cli import app
    from api.settings import get_settings

    monkeypatch.setenv("JIXIAO_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("JIXIAO_ENCODER", "fake")
    get_settings.cache_clear()
    try:
        CorpusStore(tmp_path / "models" / "corpus.sqlite").ingest(seed_paths)
        result = CliRunner().invoke(app, ["report", "--out", str(tmp_path / "out")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "16 goal clusters" in result.output
    assert (tmp_path / "out" / "reuse.html").stat().st_size > 1_000_000  # plotly.js inlined
    assert (tmp_path / "out" / "reuse.json").exists()
    assert (tmp_path / "out" / "reuse_tables" / "goal_members.csv").read_text(encoding="utf-8-sig").count(
        SERVICE_TRADE
    ) >= 11
