"""Hostile input the earlier hostile tests did not reach, each refused with the place named: a
number that is no number (NaN, infinity, a 400-digit amount) in a table or a filter, a filter of
only control characters, formats not read here (.et, .doc, .ods, .xlsb, .rtf …)."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from readers_support import FIXTURES, refused

from api.errors import status_for
from indexer.errors import InvalidInputError, ParseError, UnsupportedFormatError
from indexer.ingest import read_source
from indexer.readers import read_document
from indexer.readers.cells import number_text
from indexer.search.query import SearchQuery
from indexer.text import filter_value

TSV = (FIXTURES / "tsv_small.txt").read_text(encoding="utf-8")
# tsv_small.txt: line 11 is 会展扶持专题, whose 总计 (column B) is 1,000.00.
ROW, TOTAL = 11, "1,000.00"


def _workbook(cell: object = None) -> bytes:
    """tsv_small.txt as a workbook, B11 (the first project's 总计) holding ``cell`` when given."""
    wb = Workbook()
    ws = wb.active
    ws.title = "表"
    for line in TSV.splitlines():
        ws.append(line.split("\t"))
    if cell is not None:
        ws[f"B{ROW}"] = cell
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _with_raw_value(data: bytes, ref: str, raw: str, kind: str = "n") -> bytes:
    """The workbook with cell ``ref``'s XML replaced by a cell of type ``kind`` storing ``raw``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                cell = rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)'.encode()
                body, n = re.subn(cell, f'<c r="{ref}" t="{kind}"><v>{raw}</v></c>'.encode(), body)
                assert n == 1
            dst.writestr(info, body)
    return out.getvalue()


def _error(data: bytes, name: str) -> ParseError:
    with pytest.raises(ParseError) as info:
        read_source(data, name)
    return info.value


def test_the_fixture_workbook_reads():
    assert len(read_source(_workbook(1000.0), "t.xlsx").table.projects) == 3


@pytest.mark.parametrize("raw", ["NaN", "nan", "-inf", "#NUM!"])
def test_a_numeric_cell_holding_no_number_names_the_cell(raw):
    """openpyxl refused the whole workbook ("could not read worksheets from None")."""
    error = _error(_with_raw_value(_workbook(1000.0), f"B{ROW}", raw), "t.xlsx")
    assert str(error) == f"t.xlsx, sheet 表, cell B{ROW}: numeric cell holds {raw!r}, which is not a number"


@pytest.mark.parametrize(
    ("kind", "raw", "said"),
    [("b", "yes", "boolean cell holds 'yes', which is not TRUE or FALSE"), ("d", "x", "date cell holds 'x'")],
)
def test_a_typed_cell_holding_no_value_of_its_type_names_the_cell(kind, raw, said):
    error = _error(_with_raw_value(_workbook(1000.0), f"B{ROW}", raw, kind), "t.xlsx")
    assert str(error).startswith(f"t.xlsx, sheet 表, cell B{ROW}: {said}")


def test_an_infinite_cell_is_not_a_number_at_its_cell():
    error = _error(_with_raw_value(_workbook(1000.0), f"B{ROW}", "1e999"), "t.xlsx")
    assert str(error).startswith(f"t.xlsx, sheet 表, cell B{ROW}: amount is not a number: 'Infinity'")


@pytest.mark.parametrize("value", ["NaN", "nan", "inf", "-Infinity", "#DIV/0!"])
def test_a_text_amount_that_is_no_number_says_so(value):
    xlsx = _error(_workbook(value), "t.xlsx")
    assert str(xlsx).startswith(f"t.xlsx, sheet 表, cell B{ROW}: amount is not a number: {value!r}")
    text = TSV.replace(f"\t{TOTAL}\t", f"\t{value}\t", 1)
    tsv = _error(text.encode(), "t.txt")
    assert str(tsv).startswith(f"t.txt, line {ROW}, column 2: amount is not a number: {value!r}")


def test_an_amount_past_any_budget_is_out_of_range_not_infinity():
    huge = "1" + "0" * 400 + ".00"
    error = _error(TSV.replace(f"\t{TOTAL}\t", f"\t{huge}\t", 1).encode(), "t.txt")
    assert f"t.txt, line {ROW}, column 2: amount '1000" in str(error)
    assert "out of range: more than 1,000,000,000,000 万元" in str(error) and len(str(error)) < 200
    assert "out of range" in str(_error(_workbook(1e300), "t.xlsx"))


def test_number_text_of_non_finite_values_never_raises():
    assert number_text(float("nan"), "#,##0.00") == "NaN"
    assert number_text(float("inf"), "0.00%") == "Infinity"
    assert number_text(float("-inf"), None) == "-Infinity"


@pytest.mark.parametrize("amount", [float("nan"), float("inf"), 1e13, -1.0])
def test_a_search_amount_that_is_no_number_or_out_of_range_is_refused(amount):
    with pytest.raises(InvalidInputError, match=r"min_amount: (not a number|expected 0 to)"):
        SearchQuery("电商", min_amount=amount).validate()


@pytest.mark.parametrize("value", ["", " ", "\x01\x02", "\t\x7f", "\u200b", "\x00", "\ufeff "])
def test_a_filter_of_only_controls_is_blank_like_a_blank_one(value):
    with pytest.raises(InvalidInputError, match=r"^district: blank \(nothing but whitespace"):
        SearchQuery("电商", district=value).validate()
    with pytest.raises(InvalidInputError, match=r"^q: blank"):
        filter_value("q", value)


def test_controls_around_a_filter_are_ignored_when_matching():
    assert filter_value("district", "\x00南沙区\u200b ") == "南沙区"
    assert SearchQuery("电商", district="\x01南沙区").normalised().district == "南沙区"
    assert filter_value("district", None) is None


def test_the_library_refuses_a_blank_or_control_filter():
    from classifier.library import load_library, search_library

    entries = load_library()
    for value in (" ", "\x01\x02"):
        for field in ("sector", "code", "query"):
            with pytest.raises(InvalidInputError, match="blank"):
                search_library(entries, **{field: value})
    assert search_library(entries, query="\x01成活率") == search_library(entries, query="成活率") != []


def _zip(members: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return out.getvalue()


XLS = sorted((FIXTURES / "xls").glob("*.xls"))[0]
DOC = FIXTURES / "legacy" / "synthetic-county-transport.doc"
ODS = _zip({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"})
GARBAGE = bytes(range(256)) * 16


@pytest.mark.parametrize(
    ("data", "name", "said"),
    [
        (GARBAGE, "表.et", "WPS spreadsheet (.et); save it as .xlsx"),
        (GARBAGE, "表.wps", "WPS document (.wps); save it as .docx"),
        (GARBAGE, "表.doc", "Word 97–2003 document (.doc); save it as .docx"),
        (DOC.read_bytes(), "表.doc", "Word 97–2003 document (.doc); save it as .docx"),
        (DOC.read_bytes(), "表.et", "Word 97–2003 document (.doc)"),  # the content decides
        ("{\\rtf1\\ansi \\b 项目\\b0}".encode(), "表.doc", "Rich Text document (.rtf); save it as .docx"),
        (ODS, "表.ods", "OpenDocument spreadsheet (.ods); save it as .xlsx"),
        (ODS, "表.xlsx", "OpenDocument spreadsheet (.ods)"),
        (_zip({"[Content_Types].xml": "<T/>", "xl/workbook.bin": b"\0"}), "表.xlsb", "Excel binary workbook"),
        (_zip({"OFD.xml": "<ofd/>"}), "表.ofd", "OFD document (.ofd); save it as .pdf"),
        (GARBAGE, "表.bin", "binary data"),
    ],
)
def test_a_format_not_read_here_is_unsupported_saying_what_is(data, name, said):
    """.et and .doc bytes were "binary data, not a text table" (the text reader's verdict)."""
    error = refused(data, name)
    assert isinstance(error, UnsupportedFormatError) and status_for(error) == 415
    assert re.match(rf"{name}(, line 1)?: unsupported format: ", str(error)) and said in str(error)
    assert "formats read: .xlsx, .xls, .docx, .pdf, .html, .csv or .txt" in str(error)


def test_an_xls_workbook_or_a_text_table_is_read_whatever_its_name_says(tmp_path: Path):
    assert read_document(XLS.read_bytes(), "表.xls").warnings == ()
    document = read_document(XLS.read_bytes(), "表.et")  # WPS can save an .et workbook as BIFF
    assert document.format == "xls" and document.sheets
    assert [str(w) for w in document.warnings] == ["表.et: named as .et but the content is xls: read as xls"]
    result = read_source(TSV.encode(), "表.et")
    assert len(result.table.projects) == 3
    assert [str(w) for w in result.warnings] == ["表.et: named as .et but the content is txt: read as txt"]


@pytest.mark.parametrize(("value", "shown"), [(float("nan"), "NaN"), (float("-inf"), "-Infinity")])
def test_an_xls_number_record_holding_nan_reads_as_text_not_a_crash(value, shown):
    """Decimal('NaN').quantize raised InvalidOperation, which no reader caught (a 500)."""
    import struct

    path = FIXTURES / "xls" / "s-chongqing-fengjie-yunwu-2023.xls"
    data = bytearray(path.read_bytes())
    at = data.index(b"\x03\x02\x0e\x00")  # the first NUMBER record: row, column, xf, then the double
    row, col = struct.unpack("<HH", data[at + 4 : at + 8])
    data[at + 10 : at + 18] = struct.pack("<d", value)
    assert read_document(bytes(data), "t.xls").sheets[0].rows[row][col] == shown


def test_a_national_form_amount_that_is_no_number_names_the_cell():
    """The header block's reader took 'NaN' beside 年度资金总额 for no amount at all."""
    from indexer.layouts.header_block import parse_money
    from indexer.position import Position

    where = Position("f.xlsx", sheet="表1", row=5, col=4)
    assert parse_money("1,030,700.00", "元", where) == (Decimal("103.07"), "元")
    for value in ("NaN", "#DIV/0!", "-inf"):
        said = rf"^f\.xlsx, sheet 表1, cell D5: amount is not a number: '{re.escape(value)}'"
        with pytest.raises(ParseError, match=said):
            parse_money(value, "万元", where)
    with pytest.raises(ParseError, match="out of range: more than 1,000,000,000,000 万元"):
        parse_money("2" + "0" * 12 + " 亿元", "万元", where)
    assert parse_money("详见附表", "万元", where) is None
