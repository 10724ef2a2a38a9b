"""Workbooks and documents that hide, bloat or nest what they hold: hidden worksheets are skipped
and named, a cell past the size limit or XML nested past libxml2's depth is refused naming the place,
the reader's notes (a formula read as empty, a hidden sheet) come with a layout's refusal, and a
long quoted text never makes a message of that size."""

from __future__ import annotations

import io
import re
import zipfile

import docx
import pytest
from openpyxl import Workbook
from readers_support import FIXTURES, refused

from indexer.errors import LimitExceededError, ParseError
from indexer.ingest import read_source
from indexer.readers import ReadLimits, read_document

TSV = (FIXTURES / "tsv_small.txt").read_text(encoding="utf-8")
HIDDEN = "hidden worksheet not read (unhide it in Excel or WPS to have it read)"


def _workbook(
    *, table_state: str = "visible", extra: tuple[str, str] | None = None, formula: str = ""
) -> bytes:
    """tsv_small.txt on sheet 表 (in ``table_state``); ``extra`` = (title, state) adds a second
    sheet: a copy of the table, or a note when the table sheet is hidden; ``formula`` is put
    in B8 (the header's 总计) without a cached value."""
    wb = Workbook()
    ws = wb.active
    ws.title = "表"
    for line in TSV.splitlines():
        ws.append(line.split("\t"))
    if formula:
        ws["B8"] = formula
    if extra is not None:
        other = wb.create_sheet(extra[0])
        if table_state == "visible":
            for line in TSV.splitlines():
                other.append(line.split("\t"))
        else:
            other.append(["本表金额单位为万元"])
        other.sheet_state = extra[1]
    ws.sheet_state = table_state
    if table_state != "visible":
        wb.active = 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_copy_of_the_table_is_skipped_and_named(state):
    """Both sheets were read: the hidden copy doubled every project."""
    result = read_source(_workbook(extra=("旧版", state)), "t.xlsx")
    assert len(result.table.projects) == 3
    assert [str(w) for w in result.warnings] == [f"t.xlsx, sheet 旧版: {HIDDEN}"]


def test_a_workbook_whose_only_table_is_hidden_says_so():
    with pytest.raises(ParseError) as info:
        read_source(_workbook(table_state="hidden", extra=("说明", "visible")), "t.xlsx")
    message = str(info.value)
    assert message.startswith("t.xlsx: unknown table layout")
    assert message.endswith(f"(reader's notes: sheet 表: {HIDDEN})")
    wb = Workbook()
    wb.active.append(["项目"])
    wb.create_sheet("空")
    wb.active.sheet_state = "hidden"
    wb.active = 1
    out = io.BytesIO()
    wb.save(out)
    assert "every worksheet with text is hidden (Sheet)" in str(refused(out.getvalue(), "t.xlsx"))


def _xls_with_hidden_first_sheet(name: str) -> bytes:
    """A committed .xls with its first BOUNDSHEET record's visibility byte set to hidden."""
    data = bytearray((FIXTURES / "xls" / name).read_bytes())
    at = re.search(rb"\x85\x00.{2}.{4}\x00\x00", data, re.DOTALL)
    assert at is not None
    data[at.start() + 8] = 1
    return bytes(data)


def test_hidden_sheets_of_an_xls_workbook_are_skipped_too():
    document = read_document(_xls_with_hidden_first_sheet("ah-jinan-tyj-2025.xls"), "t.xls")
    assert [s.name for s in document.sheets] == ["表2"]
    assert [str(w) for w in document.warnings] == [f"t.xls, sheet 表1: {HIDDEN}"]
    error = refused(_xls_with_hidden_first_sheet("ah-bozhou-qxj-2023.xls"), "t.xls")
    assert str(error).startswith("t.xls: every worksheet with text is hidden (表1)")


def test_a_formula_read_as_empty_is_named_in_the_refusal_it_caused():
    """The refusal said only "unknown table layout": the uncached formula in the header was unsaid."""
    with pytest.raises(ParseError) as info:
        read_source(_workbook(formula="=A1&\"计\""), "t.xlsx")
    assert "(reader's notes: sheet 表, cell B8: formula without a cached value" in str(info.value)


def test_a_cell_over_the_size_limit_is_refused_naming_it():
    text = TSV + "x" * 200_001 + "\n"
    error = refused(text.encode(), "t.txt", peak_mb=256)
    assert isinstance(error, LimitExceededError)
    assert str(error) == (
        "t.txt, line 16, column 1: a cell of 200,001 characters, more than the limit of 100,000 per cell"
    )
    assert read_document(text.encode(), "t.txt", ReadLimits(max_cell_chars=300_000)).sheets


def test_a_long_quoted_text_is_cut_in_a_refusal():
    wb = Workbook()
    for line in TSV.splitlines():
        wb.active.append(line.split("\t"))
    wb.active["A30"] = "项" * 30_000  # Excel's cell limit is 32,767
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(ParseError) as info:
        read_source(out.getvalue(), "t.xlsx")
    message = str(info.value)
    assert message.endswith("项…' has neither amounts, goal nor indicators") and len(message) < 300, message


def _docx_nested(depth: int) -> bytes:
    document = docx.Document()
    document.add_table(rows=1, cols=1).cell(0, 0).text = "a"
    buf = io.BytesIO()
    document.save(buf)
    opening = b"<w:tbl><w:tr><w:tc><w:p><w:r><w:t>n</w:t></w:r></w:p>" * depth
    closing = b"</w:tc></w:tr></w:tbl>" * depth
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "word/document.xml":
                nested = b"<w:t>a</w:t></w:r></w:p>" + opening + closing + b"<w:p><w:r>"
                body = body.replace(b"<w:t>a</w:t>", nested, 1)
            dst.writestr(info, body)
    return out.getvalue()


def test_tables_nested_past_the_xml_depth_limit_are_a_limit_not_damage():
    """It was "damaged or truncated .docx document … Excessive depth in document: 256"."""
    assert len(read_document(_docx_nested(40), "t.docx").sheets) == 41  # each table (no body text)
    error = refused(_docx_nested(5000), "t.docx")
    assert isinstance(error, LimitExceededError)
    assert str(error) == (
        "t.docx: the .docx document's XML is nested more than 256 levels deep (tables inside tables?): "
        "it is not read"
    )


def test_the_time_limit_is_checked_inside_one_large_html_table(monkeypatch):
    """Checked only between tables, one table of a million cells ran to its end whatever the limit."""
    import itertools

    import indexer.readers.base as base

    clock = itertools.count()
    monkeypatch.setattr(base.time, "monotonic", lambda: float(next(clock)))  # one second a call
    page = b"<html><table><tr><td>a</td></tr><tr>" + b"<td>x</td>" * 5000 + b"</tr></table></html>"
    error = refused(page, "t.html", ReadLimits(timeout_seconds=2.5))
    assert str(error) == "t.html, 表格1, row 2: reading took longer than the limit of 2.5 s (stopped here)"


_LAUGHS = b"<!DOCTYPE w [<!ENTITY a \"aaaaaaaaaa\">" + b"".join(
    f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(7)
) + b"]>"


_DEEP = b"<extLst>" * 1000 + b"</extLst>" * 1000


def _sheet_xml_patched(patch) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_workbook())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info, patch(body) if info.filename == "xl/worksheets/sheet1.xml" else body)
    return out.getvalue()


@pytest.mark.parametrize(
    ("patch", "said"),
    [
        (
            lambda body: body.replace(b"</sheetData>", b"</sheetData>" + _DEEP),
            "is nested more than 256 levels deep: it is not read",
        ),
        (
            lambda body: _LAUGHS + body.replace(b"<t>", b"<t>&h;", 1),
            "declares entities that expand past the parser's limit (an entity bomb): it is not read",
        ),
    ],
    ids=["deep", "billion-laughs"],
)
def test_an_xml_bomb_in_a_worksheet_is_a_limit_naming_the_sheet(patch, said):
    """Both were "damaged or truncated .xlsx workbook, openpyxl cannot read it: <libxml2's words>"."""
    error = refused(_sheet_xml_patched(patch), "t.xlsx")
    assert isinstance(error, LimitExceededError)
    assert str(error) == f"t.xlsx, sheet 表: the .xlsx workbook's XML {said}"


def test_a_worksheet_cell_over_the_size_limit_is_refused_naming_it():
    """Excel writes at most 32,767 characters a cell; a hand-made part may hold any number."""
    data = _sheet_xml_patched(lambda body: body.replace(b"<t>", b"<t>" + "很".encode() * 200_000, 1))
    error = refused(data, "t.xlsx")
    assert isinstance(error, LimitExceededError)
    assert str(error).startswith("t.xlsx, sheet 表, cell A2: a cell of 200,0")
