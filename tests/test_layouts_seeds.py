"""The seed tables read back from every rendering give exactly the records of the original .txt.

Every rendering of ``tests/fixtures/render.py`` (.xlsx, .xls, .docx, .html in UTF-8 and GBK,
.csv in UTF-8 and GB18030, UTF-16 text, the ruled .pdf whose table wraps over pages, and the
text-only .pdf of the PDF-text seeds) goes through the one ingest entry point; the projects,
amounts, goals, indicators (codes, names, values, targets) and the table's totals must equal
those of the .txt, and every project and indicator must say where in the file it came from.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from readers_support import SOURCES, render, rendering_cases, renderings

from indexer.ingest import read_path, read_source
from indexer.layouts import detect
from indexer.readers import read_document
from indexer.records import SourceTable

__all__ = ["renderings"]

SEED_CASES = [case for case in rendering_cases() if case[0].startswith("seed-")]
GRID_FORMATS = {"xlsx", "xls", "docx", "html", "gbk.html", "csv", "gb18030.csv", "utf16.txt", "pdf"}


def _original(stem: str) -> SourceTable:
    number = stem.split("-")[1]
    return read_path(next(render.SEED_DIR.glob(f"{number}_*.txt"))).table


def _facts(table: SourceTable) -> dict:
    """What a table says, without what depends on the file (name, ids, lines, raw spacing)."""
    return {
        "department": table.department,
        "district": table.district,
        "projects": [
            (
                p.name,
                p.department,
                p.district,
                p.budget_unit,
                p.amounts,
                p.goal,
                [
                    (i.ordinal, i.level1, i.level2_code, i.name, i.cycle_value, i.annual_value, i.target)
                    for i in p.indicators
                ],
            )
            for p in table.projects
        ],
        "grand_total": table.grand_total and (table.grand_total.amounts, len(table.grand_total.project_ids)),
        "units": [(u.label, u.amounts, len(u.project_ids)) for u in table.unit_subtotals],
    }


def test_every_seed_has_its_renderings():
    formats = {fmt for stem, fmt in SEED_CASES}
    assert GRID_FORMATS | {"text.pdf"} <= formats
    assert {stem for stem, _ in SEED_CASES} >= {f"seed-00{k}" for k in range(5)} | {"seed-003-merged"}


@pytest.mark.parametrize(("stem", "fmt"), SEED_CASES)
def test_seed_rendering_reads_back_to_the_records_of_the_text(renderings, stem, fmt):
    path = renderings[stem][fmt]
    original = _original(stem)
    result = read_source(path.read_bytes(), path.name)
    table = result.table
    assert result.layout_score.score >= 0.5
    # A PDF-text seed's grid is the Guangzhou grid; its text layer is read as such.
    expected_layout = original.layout if fmt == "text.pdf" or original.layout != "pdf_text" else "tsv"
    assert table.layout == expected_layout == result.layout_score.layout
    assert len(table.projects) == len(original.projects)
    assert sum(len(p.indicators) for p in table.projects) == sum(len(p.indicators) for p in original.projects)
    assert _facts(table) == _facts(original)
    assert len({p.id for p in table.projects}) == len(table.projects)
    for p in table.projects:
        assert p.origin is not None and p.origin.file == path.name
        assert p.origin.row is not None or p.origin.line is not None
        if fmt not in ("csv", "gb18030.csv", "utf16.txt"):
            assert p.origin.sheet is not None or p.origin.page is not None
        assert all(i.origin is not None and i.origin.file == path.name for i in p.indicators)


def test_origins_name_the_row_and_the_indicator_cell(renderings):
    path = renderings["seed-000"]["xlsx"]
    table = read_path(path).table
    document = read_document(path.read_bytes(), path.name)
    sheet = document.sheets[0]
    first = table.projects[0]
    assert sheet.rows[first.origin.row - 1][0].strip() == first.name_raw
    indicator = first.indicators[0]
    assert (indicator.origin.row, indicator.origin.col) == (first.origin.row, 7)
    assert str(indicator.origin) == f"seed-000.xlsx, sheet 绩效目标表, cell G{first.origin.row}"
    pdf = read_path(renderings["seed-000"]["pdf"]).table
    pages = {p.origin.page for p in pdf.projects}
    assert len(pages) > 3  # the table runs over pages; every project names its own
    text_pdf = read_path(renderings["seed-001"]["text.pdf"]).table
    assert all(p.origin.page is not None and p.origin.line is not None for p in text_pdf.projects)


def test_a_ruled_pdf_table_is_read_as_the_grid_not_its_text_layer(renderings):
    path = renderings["seed-001"]["pdf"]
    scores = {s.layout: s.score for s in detect(read_document(path.read_bytes(), path.name))}
    assert scores["tsv"] > scores.get("pdf_text", 0.0)


def test_forms_that_are_no_seed_layout_are_not_taken_for_one():
    for source in SOURCES.values():
        if source.stem.startswith("seed-"):
            continue
        rows = source.forms[0].rows
        text = "\n".join("\t".join(row) for row in rows) + "\n"
        scores = detect(read_document(text.encode("utf-8"), f"{source.stem}.txt"))
        assert all(s.score == 0 for s in scores if s.layout in ("tsv", "pdf_text", "five_column"))


def test_a_workbook_of_two_departments_keeps_each_sheets_department_and_total(tmp_path):
    """商务局 (city) and 天河区 tables as two sheets of one workbook: every project has its own
    sheet's department and district, the source names both, and both 合计 rows are kept and
    still sum to their own sheet's projects."""
    city, tianhe = SOURCES["seed-000"], SOURCES["seed-004"]
    forms = [replace(city.forms[0], name="市商务局"), replace(tianhe.forms[0], name="天河区")]
    path = tmp_path / "两个部门.xlsx"
    render.write_xlsx(replace(city, stem="两个部门", forms=forms), path)
    table = read_path(path).table
    want = [_original("seed-000"), _original("seed-004")]
    assert [(p.name, p.department, p.district, p.amounts) for p in table.projects] == [
        (p.name, p.department, p.district, p.amounts) for t in want for p in t.projects
    ]
    assert {p.origin.sheet for p in table.projects[: len(want[0].projects)]} == {"市商务局"}
    assert table.department == f"{want[0].department}、{want[1].department}"
    assert table.district == "广州市、天河区" and table.grand_total is None
    totals = [u for u in table.unit_subtotals if u.label.startswith("合计")]
    assert [(u.label, u.amounts) for u in totals] == [
        ("合计（市商务局）", want[0].grand_total.amounts),
        ("合计（天河区）", want[1].grand_total.amounts),
    ]
    for total, part in zip(totals, want, strict=True):
        sheet_ids = {p.id for p in table.projects if p.department == part.department}
        assert set(total.project_ids) == sheet_ids and len(sheet_ids) == len(part.projects)
    assert len(table.unit_subtotals) == 2 + sum(len(t.unit_subtotals) for t in want)
