"""A national form ingested (an .xlsx rendering, through the store) shows up in search and in its
district's row of the reuse report, beside the seed tables (fake encoder)."""

from __future__ import annotations

import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))

import render  # noqa: E402

from indexer.encoder.fake import FakeEncoder  # noqa: E402
from indexer.reuse import find_reuse  # noqa: E402
from indexer.search import build_index  # noqa: E402
from indexer.search.query import SearchQuery  # noqa: E402
from indexer.store import CorpusStore  # noqa: E402

SEED_DIR = FIXTURES.parents[1] / "data" / "raw"


def test_a_national_form_is_searchable_and_counted_in_its_districts_reuse_row(tmp_path):
    source = next(s for s in render.load_sources() if s.stem == "synthetic-hanyin-water")
    xlsx = tmp_path / "汉阴县水利局.xlsx"
    render.write_xlsx(source, xlsx)
    store = CorpusStore(tmp_path / "models" / "corpus.sqlite")
    store.ingest([*sorted(SEED_DIR.glob("*.txt")), xlsx])
    corpus = store.load()
    (national,) = [p for p in corpus.projects if p.source_file == xlsx.name]
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
