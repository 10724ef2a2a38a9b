"""Every reader on every rendering of the seed tables and the national forms gives the same grid.

The renderings come from ``tests/fixtures/render.py`` (run once per session into a
temporary folder; the .xls files are committed, made by LibreOffice). The seed
grids are the text reader's grid of the original ``data/raw`` files, so each
comparison below is "the .txt's cells read back from format X".
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from layouts_support import parse_file, parse_text
from readers_support import (
    MERGING_FORMATS,
    SHEET_FORMATS,
    SOURCES,
    expected_grid,
    joined_page_rows,
    normalised,
    render,
    rendering_cases,
    renderings,
)

from indexer.readers import read_document
from indexer.readers.pdf_tables import is_furniture

__all__ = ["renderings"]  # the session fixture, imported for pytest

FORMAT_OF = {
    "xlsx": "xlsx",
    "xls": "xls",
    "docx": "docx",
    "html": "html",
    "gbk.html": "html",
    "csv": "csv",
    "gb18030.csv": "csv",
    "utf16.txt": "txt",
    "pdf": "pdf",
    "text.pdf": "pdf",
}
GRID_CASES = [case for case in rendering_cases() if case[1] != "text.pdf"]


def _read(renderings: dict, stem: str, fmt: str):
    path = renderings[stem][fmt]
    return read_document(path.read_bytes(), path.name)


def _tables(document, fmt: str):
    if fmt in SHEET_FORMATS:
        return [s for s in document.sheets if s.kind in ("sheet", "text")]
    return [s for s in document.sheets if s.kind == "table"]


@pytest.mark.parametrize(("stem", "fmt"), GRID_CASES)
def test_every_rendering_reads_back_to_the_source_grid(renderings, stem, fmt):
    document = _read(renderings, stem, fmt)
    assert document.format == FORMAT_OF[fmt]
    tables = _tables(document, fmt)
    forms = SOURCES[stem].forms
    assert len(tables) == len(forms), [s.name for s in document.sheets]
    for k, sheet in enumerate(tables):
        expected, _ = expected_grid(stem, fmt, k)
        got = joined_page_rows(sheet) if fmt == "pdf" else sheet.rows
        assert normalised(got, fmt) == normalised(expected, fmt)


@pytest.mark.parametrize(("stem", "fmt"), [c for c in GRID_CASES if c[1] in MERGING_FORMATS])
def test_merged_ranges_are_kept(renderings, stem, fmt):
    document = _read(renderings, stem, fmt)
    for k, sheet in enumerate(_tables(document, fmt)):
        _, merges = expected_grid(stem, fmt, k)
        assert sorted(sheet.merges) == sorted(merges)
        for r0, c0, r1, c1 in sheet.merges:
            assert sheet.is_merged_copy(r1, c1) == ((r0, c0) != (r1, c1))
            assert not sheet.is_merged_copy(r0, c0)
            assert {sheet.rows[r][c] for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)} == {
                sheet.rows[r0][c0]
            }


@pytest.mark.parametrize("stem", ["seed-000", "seed-003", "seed-004"])
def test_seed_grid_is_the_grid_of_the_original_text(stem):
    path = next(p for p in render.SEED_DIR.glob(f"{stem[5:]}_*.txt"))
    document = read_document(path.read_bytes(), path.name)
    assert document.format == "txt"
    rows, _ = render.sheet_grid(SOURCES[stem].forms[0])
    assert normalised(document.sheets[0].rows, "xlsx") == normalised(rows, "xlsx")
    assert document.sheets[0].lines == tuple(path.read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize("stem", ["seed-001", "seed-002"])
def test_pdf_text_seed_grid_holds_exactly_the_records_of_the_text(stem):
    """The grid rebuilt from a PDF-text seed, written as a tab-separated table, parses to the
    records the original text gives (names, amounts, goals, indicators)."""
    path = next(p for p in render.SEED_DIR.glob(f"{stem[5:]}_*.txt"))
    form = SOURCES[stem].forms[0]
    text = "\n".join(form.preamble + ["\t".join(row) for row in form.rows]) + "\n"
    rebuilt, original = parse_text(text, path.name), parse_file(path)
    assert len(rebuilt.projects) == len(original.projects)

    def facts(table):
        return [
            (
                p.name,
                p.amounts,
                p.goal,
                p.budget_unit,
                [dataclasses.replace(i, project_id="", origin=None) for i in p.indicators],
            )
            for p in table.projects
        ]

    assert facts(rebuilt) == facts(original)
    assert rebuilt.grand_total.amounts == original.grand_total.amounts


@pytest.mark.parametrize("stem", ["seed-001", "seed-002"])
def test_text_layout_pdf_gives_back_the_lines_and_their_indentation(renderings, stem):
    path = next(p for p in render.SEED_DIR.glob(f"{stem[5:]}_*.txt"))
    document = _read(renderings, stem, "text.pdf")
    assert not [s for s in document.sheets if s.kind == "table"]  # no ruling lines, no tables
    got = [line for s in document.sheets for line in s.lines if line.strip() and not is_furniture(line)]
    want = [line for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
    assert ["".join(line.split()) for line in got] == ["".join(line.split()) for line in want]
    assert [line.startswith(" ") for line in got] == [line.startswith(" ") for line in want]


def test_long_pdf_table_is_one_sheet_over_its_pages_with_split_rows(renderings):
    document = _read(renderings, "seed-000", "pdf")
    (table,) = [s for s in document.sheets if s.kind == "table"]
    pages = [s for s in document.sheets if s.kind == "page"]
    assert len(pages) > 3
    assert table.row_pages[0] == 1 and table.row_pages[-1] == len(pages)
    assert list(table.row_pages) == sorted(table.row_pages)
    # The header row is printed on every page but kept once.
    assert sum(row[0].startswith("项目名称") for row in table.rows) == 1
    assert all(any(line.startswith("项目名称") for line in page.lines) for page in pages)
    # Some rows were split by a page break: the grid has their parts, the join gives the rows.
    assert len(table.rows) > len(joined_page_rows(table)) == len(SOURCES["seed-000"].forms[0].rows)
    # Every row's first cell is printed on the page its row_pages names.
    for r, row in enumerate(table.rows):
        if row[0].strip():
            page_text = "".join("".join(pages[table.row_pages[r] - 1].lines).split())
            assert "".join(row[0].split())[:8] in page_text


def test_positions_name_sheet_page_row_cell_and_line(renderings):
    xlsx = _read(renderings, "seed-000", "xlsx")
    sheet = xlsx.sheets[0]
    r = next(i for i, row in enumerate(sheet.rows) if row[0] == "服务贸易专题")
    assert str(xlsx.position(sheet, r, 1)) == f"seed-000.xlsx, sheet 绩效目标表, cell B{r + 1}"
    assert sheet.rows[r][1] == "400.00"  # a number under #,##0.00, shown as printed

    pdf = _read(renderings, "seed-000", "pdf")
    table = next(s for s in pdf.sheets if s.kind == "table")
    r = len(table.rows) - 1
    assert str(pdf.position(table, r, 2)) == (
        f"seed-000.pdf, page {table.row_pages[r]}, 表格1, table row {r + 1}, column 3"
    )
    page = next(s for s in pdf.sheets if s.kind == "page")
    assert str(pdf.position(page, 0)) == "seed-000.pdf, page 1, line 1"

    docx = _read(renderings, "synthetic-hanyin-water", "docx")
    assert str(docx.position(docx.sheets[0], 9, 0)) == "synthetic-hanyin-water.docx, 表格1, cell A10"

    txt = _read(renderings, "seed-000", "utf16.txt")
    assert str(txt.position(txt.sheets[0], 11, 2)) == "seed-000.utf16.txt, line 12, column 3"
    csv_doc = _read(renderings, "seed-000", "csv")
    assert str(csv_doc.position(csv_doc.sheets[0], 11, 2)) == "seed-000.csv, cell C12"


def test_documents_keep_the_title_before_each_table(renderings):
    for fmt in ("docx", "html", "pdf"):
        document = _read(renderings, "synthetic-county-transport", fmt)
        tables = [s for s in document.sheets if s.kind == "table"]
        assert [t.preamble[-1] for t in tables] == [
            f.preamble[0] for f in SOURCES["synthetic-county-transport"].forms
        ]
    pdf = _read(renderings, "synthetic-county-transport", "pdf")
    # Two one-page forms: the title between them keeps them two tables, each on its page.
    assert [s.row_pages[0] for s in pdf.sheets if s.kind == "table"] == [1, 2]
    xlsx = _read(renderings, "synthetic-county-transport", "xlsx")
    assert [s.name for s in xlsx.sheets] == ["表1", "表2"]


def test_encodings_give_the_same_cells(renderings):
    assert (
        _read(renderings, "seed-001", "gbk.html").sheets[0].rows
        == _read(renderings, "seed-001", "html").sheets[0].rows
    )
    utf8, gb = _read(renderings, "seed-003", "csv"), _read(renderings, "seed-003", "gb18030.csv")
    assert utf8.sheets[0].rows == gb.sheets[0].rows
    assert "项目名称" in utf8.sheets[0].rows[1]


def test_numbers_and_text_survive_as_printed(renderings):
    xlsx = _read(renderings, "synthetic-hanyin-water", "xlsx")
    cells = {cell for row in xlsx.sheets[0].rows for cell in row}
    assert {"2279.048 万元", "2,000.00", "1500", "2790480元", "≥86.5公里", "≤2279.048万元"} <= cells
    html = _read(renderings, "seed-000", "html")
    assert any(cell.startswith("<p>") for row in html.sheets[0].rows for cell in row)  # escaped, not markup
    assert Decimal(xlsx.sheets[0].rows[5][3].replace(",", "")) == Decimal("2000.00")
