"""Shared by the reader tests: the fixture renderer, the renderings of one session, grid comparison."""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))

import render  # noqa: E402

from indexer.errors import ParseError  # noqa: E402
from indexer.readers import ReadLimits, read_document  # noqa: E402
from indexer.readers.base import Sheet  # noqa: E402

MB = 2**20

SOURCES = {source.stem: source for source in render.load_sources()}
SHEET_FORMATS = ("xlsx", "xls", "csv", "gb18030.csv", "utf16.txt")
"""Renderings that keep the preamble lines in the grid (a worksheet, a delimited file)."""
MERGING_FORMATS = ("xlsx", "xls", "docx", "html", "gbk.html", "pdf")


def rendering_cases() -> list[tuple[str, str]]:
    """Every (source, format) rendered, and the committed .xls files (``render.py --xls`` makes them:
    a source added since has none until it is run again)."""
    cases = [(stem, fmt) for stem, source in SOURCES.items() for fmt in render._formats(source)]
    cases += [(stem, "xls") for stem in SOURCES if (render.XLS_DIR / f"{stem}.xls").exists()]
    return sorted(cases)


@pytest.fixture(scope="session")
def renderings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """Every source rendered once per session; .xls from tests/fixtures/xls/ (made by LibreOffice)."""
    out = render.render_all(tmp_path_factory.mktemp("renderings"))
    for stem, files in out.items():
        xls = render.XLS_DIR / f"{stem}.xls"
        if xls.exists():
            files["xls"] = xls
    return out


def normalised(rows: object, fmt: str) -> list[list[str]]:
    """Cell texts compared modulo what the format cannot keep: surrounding whitespace everywhere,
    runs of whitespace in HTML and delimited text (no line breaks in a tab-separated cell), all
    whitespace in PDF (line wrapping); empty rows and trailing empty columns dropped."""
    out = []
    for row in rows:
        if fmt.endswith("pdf"):
            cells = ["".join(cell.split()) for cell in row]
        elif "html" in fmt or fmt.endswith("txt"):
            cells = [" ".join(cell.split()) for cell in row]
        else:
            cells = [cell.strip() for cell in row]
        if any(cells):
            out.append(cells)
    width = max((i + 1 for row in out for i, cell in enumerate(row) if cell), default=0)
    return [(row + [""] * width)[:width] for row in out]


def joined_page_rows(sheet: Sheet) -> list[list[str]]:
    """A PDF table's rows with each row split by a page break joined again: the first row of a
    page continues the row above when its first cell is empty (how the interpreters will do it)."""
    rows: list[list[str]] = []
    for i, row in enumerate(sheet.rows):
        pages = sheet.row_pages or ()
        if i and pages and pages[i] != pages[i - 1] and not row[0].strip():
            rows[-1] = [a + b for a, b in zip(rows[-1], row, strict=True)]
        else:
            rows.append(list(row))
    return rows


def expected_grid(stem: str, fmt: str, form_index: int = 0) -> tuple[list[list[str]], list[tuple]]:
    """The grid and merges a reader must return for one form of a rendering."""
    form = SOURCES[stem].forms[form_index]
    if fmt in SHEET_FORMATS:
        rows, merges = render.sheet_grid(form)
    else:
        rows, merges = form.rows, list(form.merges)
    if fmt in MERGING_FORMATS:
        return render.filled(rows, merges), merges
    return rows, []


def refused(data: bytes, name: str, limits: ReadLimits | None = None, *, peak_mb: float = 64) -> ParseError:
    """The error reading ``data`` raises; asserts that it names the file and stayed in memory bounds."""
    tracemalloc.start()
    try:
        with pytest.raises(ParseError) as info:
            read_document(data, name, limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(info.value).startswith(name), str(info.value)
    assert peak < peak_mb * MB, f"{peak / MB:.0f} MB allocated to refuse {name}"
    return info.value
