"""A national form ingested (an .xlsx rendering, through the store) shows up in search and in its
district's row of the reuse report, beside the seed tables (fake encoder)."""

from __future__ import annotations

import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))

import render  # noqa: E402

from classifier.review.structure import missing_levels  # noqa: E402
from indexer.corpus import Corpus  # noqa: E402
from indexer.encoder.fake import FakeEncoder  # noqa: E402
from indexer.records import Project  # noqa: E402
from indexer.reuse import find_reuse  # noqa: E402
from indexer.search import build_index  # noqa: E402
from indexer.search.query import SearchQuery  # noqa: E402
from indexer.stats import corpus_stats  # noqa: E402
from indexer.store import CorpusStore  # noqa: E402

SEED_DIR = FIXTURES.parents[1] / "data" / "raw"


def _ingest_with_seeds(tmp_path: Path, stem: str, file_name: str) -> tuple[Corpus, list[Project]]:
    """The seed tables and one fixture rendered as .xlsx, ingested through the store; the corpus
    and the fixture's projects."""
    source = next(s for s in render.load_sources() if s.stem == stem)
    xlsx = tmp_path / file_name
    render.write_xlsx(source, xlsx)
    store = CorpusStore(tmp_path / "models" / "corpus.sqlite")
    store.ingest([*sorted(SEED_DIR.glob("*.txt")), xlsx])
    corpus = store.load()
    return corpus, [p for p in corpus.projects if p.source_file == file_name]


def test_a_national_form_is_searchable_and_counted_in_its_districts_reuse_row(tmp_path):
    corpus, (national,) = _ingest_with_seeds(tmp_path, "synthetic-hanyin-water", "汉阴县水利局.xlsx")
    assert national.name == "汉阴县农村饮水安全巩固提升工程"
    assert (national.province, national.city, national.county) == ("陕西省", "安康市", "汉阴县")
    assert national.indicators and national.origin is not None and national.origin.sheet == "表1"
    assert national.district not in {p.district for p in corpus.projects if p is not national}

    encoder = FakeEncoder()
    index = build_index(corpus, encoder, tmp_path / "models" / "index")
    page = index.search(SearchQuery(text="农村饮水安全巩固提升"))
    assert page.hits[0].project_id == national.id

    report = find_reuse(corpus, encoder)
    row = next(m for m in report.by_district if m.group == national.district)
    assert row.n_projects == 1 and row.n_indicators == len(national.indicators)
    assert sum(m.n_projects for m in report.by_district) == len(corpus.projects)


def test_a_form_printing_no_category_is_stored_counted_searched_and_reviewed(tmp_path):
    """潼南's forms (指标 | 指标值, no 一级/二级 column): the indicators are stored with level-1 and
    code unknown, counted as such in the stats, searchable, and the reuse report and the review's
    structure checks take them without error."""
    corpus, forms = _ingest_with_seeds(tmp_path, "s-chongqing-tongnan-wugui-2023", "潼南区五桂镇.xlsx")
    assert [p.name for p in forms] == ["潼南区五桂镇汇总项目库", "在职村村干部补助"]
    assert {(i.level1, i.level2_code) for p in forms for i in p.indicators} == {(None, None)}
    stats = corpus_stats(corpus)
    assert dict(stats.level1)[None] == 10 and stats.level1[-1][0] is None

    encoder = FakeEncoder()
    index = build_index(corpus, encoder, tmp_path / "models" / "index")
    assert index.search(SearchQuery(text="在职村村干部补助")).hits[0].project_id == forms[1].id
    filtered = index.search(SearchQuery(text="在职村村干部补助", level1="产出")).hits
    assert {h.project_id for h in filtered}.isdisjoint(p.id for p in forms)  # no category: not 产出
    report = find_reuse(corpus, encoder)
    assert sum(m.n_projects for m in report.by_district) == len(corpus.projects)
    findings = missing_levels(forms[1], "2021", {}, (), 5)
    assert {f.kind for f in findings} == {"missing_level1"}  # 产出/效益/满意度 not printed
