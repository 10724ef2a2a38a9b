"""Small synthetic cases for the pieces of the readers: positions, grids, cell text, HTML table model,
text decoding, PDF table joining."""

from __future__ import annotations

import codecs
import datetime as dt

import pytest

from indexer.errors import ParseError
from indexer.position import Position, column_letters
from indexer.readers import READERS, Reader, read_document
from indexer.readers.cells import number_text, value_text
from indexer.readers.grid import Span, grid_from_spans, grid_from_values, unfill
from indexer.readers.pdf_tables import PageTable, continues, is_furniture, join


def test_every_reader_offers_the_interface():
    assert all(isinstance(reader, Reader) for reader in READERS)
    assert sorted(f for reader in READERS for f in reader.formats) == sorted(
        ["pdf", "xls", "xlsx", "docx", "html", "txt", "csv"]
    )


def test_positions_read_as_places():
    assert str(Position("a.xlsx", sheet="项目2", row=14, col=3)) == "a.xlsx, sheet 项目2, cell C14"
    assert str(Position("b.pdf", page=3, sheet="表格1", row=7)) == "b.pdf, page 3, 表格1, table row 7"
    assert str(Position("b.pdf", page=3, sheet="第3页", line=2)) == "b.pdf, page 3, line 2"
    assert str(Position("c.txt", line=12)) == "c.txt, line 12"
    assert str(Position("c.txt", line=12, col=2)) == "c.txt, line 12, column 2"
    assert str(Position("d.docx", sheet="表格2.1", row=1, col=28)) == "d.docx, 表格2.1, cell AB1"
    assert str(Position("e.csv")) == "e.csv"
    assert [column_letters(n) for n in (1, 26, 27, 702, 703, 16384)] == ["A", "Z", "AA", "ZZ", "AAA", "XFD"]
    with pytest.raises(ValueError):
        column_letters(0)


def test_parse_error_keeps_its_old_constructor_and_takes_a_position():
    old = ParseError("t.txt", 3, "not an amount")
    assert str(old) == "t.txt:3: not an amount" and old.line == 3 and old.position is None
    new = ParseError("a.xlsx", None, "bad", position=Position("a.xlsx", sheet="S", row=2, col=1))
    assert str(new) == "a.xlsx, sheet S, cell A2: bad" and new.position.row == 2
    assert ParseError("c.txt", None, "x", position=Position("c.txt", line=5)).line == 5


def test_grid_is_rectangular_with_merges_filled_clipped_and_trailing_blanks_cut():
    rows, merges = grid_from_values(
        [["a", "", ""], ["b"], ["", "", "", ""], ["  "]],
        [(0, 0, 1, 0), (1, 1, 1, 1), (0, 1, 9, 9), (5, 5, 6, 6)],
    )
    # (0,1)-(9,9) has an empty top-left cell: it does not stretch the grid and falls outside it;
    # (1,1)-(1,1) is one cell, not a merge.
    assert rows == (("a",), ("a",))
    assert merges == ((0, 0, 1, 0),)
    assert unfill(rows, merges) == (("a",), ("",))
    # A merged range hides what its covered cells hold (as Excel shows it); an empty one is clipped.
    rows, merges = grid_from_values([["a", "", "x"], ["", "c", ""]], [(0, 1, 5, 1)])
    assert rows == (("a", "", "x"), ("", "", "")) and merges == ((0, 1, 1, 1),)
    # A merge whose text sits in its top-left cell stretches the grid to cover it.
    rows, merges = grid_from_values([["title"]], [(0, 0, 0, 3)])
    assert rows == (("title",) * 4,) and merges == ((0, 0, 0, 3),)


def test_grid_from_spans_places_spanning_cells():
    rows, merges = grid_from_spans(
        [Span(0, 0, 2, 1, "一级"), Span(0, 1, 1, 2, "二级"), Span(1, 1, 1, 1, "x"), Span(1, 2, 1, 1, "y")]
    )
    assert rows == (("一级", "二级", "二级"), ("一级", "x", "y"))
    assert merges == ((0, 0, 1, 0), (0, 1, 0, 2))


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [
        (1338, "#,##0.00", "1,338.00"),
        (101132.26, "#,##0.00", "101,132.26"),
        (0.95, "0%", "95%"),
        (0.955, "0.0%", "95.5%"),
        (2.675, "0.00", "2.68"),  # Excel rounds half away from zero, not to even
        (0.1 + 0.2, "General", "0.3"),
        (1e16, "General", "10000000000000000"),
        (400.0, "General", "400"),
        (-5.5, "#,##0.00_);[Red]\\(#,##0.00\\)", "-5.50"),
        (1234.5, "0.00E+00", "1234.5"),  # a format not applied: the shortest decimal
    ],
)
def test_numbers_show_as_their_format_prints_them(value, fmt, text):
    assert number_text(value, fmt) == text


def test_other_cell_values_as_text():
    assert value_text(None) == "" and value_text(True) == "TRUE"
    assert value_text(dt.datetime(2025, 1, 31)) == "2025-01-31"
    assert value_text(dt.datetime(2025, 1, 31, 8, 30)) == "2025-01-31 08:30:00"
    assert value_text("a\r\nb") == "a\nb"


def _html(body: str) -> list:
    head = "<head><meta charset='utf-8'><script>x=1</script></head>"
    page = f"<!DOCTYPE html><html>{head}<body>{body}</body></html>"
    return list(read_document(page.encode(), "t.html").sheets)


def test_html_table_model_rowspan_colspan():
    (table, text) = _html(
        "<h1>2025年 绩效目标表</h1><table>"
        "<tr><th rowspan=3>一级</th><th colspan=2>二级</th></tr>"
        "<tr><td>a<br>b</td><td rowspan=0>到底</td></tr>"
        "<tr><td>  c \n d </td></tr>"
        "<tr><td colspan=2>溢出</td></tr>"
        "</table><p>编报单位：某局</p>"
    )
    assert table.rows == (
        ("一级", "二级", "二级"),
        ("一级", "a\nb", "到底"),
        ("一级", "c d", "到底"),
        ("溢出", "溢出", "到底"),
    )
    assert table.merges == ((0, 0, 2, 0), (0, 1, 0, 2), (1, 2, 3, 2), (3, 0, 3, 1))
    assert table.preamble == ("2025年 绩效目标表",)
    assert text.kind == "text" and text.lines == ("2025年 绩效目标表", "编报单位：某局")


def test_html_rowspan_past_the_table_is_cut_and_nested_tables_are_their_own_sheets():
    outer, inner = _html(
        "<table><tr><td rowspan=9>x</td><td>外<table><tr><td>内</td></tr></table></td></tr></table>"
    )[:2]
    assert outer.name == "表格1" and outer.rows == (("x", "外"),) and outer.merges == ()
    assert inner.name == "表格1.1" and inner.rows == (("内",),)


def test_html_in_gbk_without_meta_is_decoded():
    page = "<html><body><table><tr><td>项目名称</td></tr></table></body></html>".encode("gbk")
    assert read_document(page, "g.html").sheets[0].rows == (("项目名称",),)


@pytest.mark.parametrize(
    "encoded",
    [
        "项目\t金额\n".encode("utf-8-sig"),
        "项目\t金额\n".encode("utf-16"),
        codecs.BOM_UTF16_BE + "项目\t金额\n".encode("utf-16-be"),
        "项目\t金额\n".encode("utf-32"),
        "项目\t金额\n".encode("gb18030"),
    ],
)
def test_text_encodings(encoded):
    assert read_document(encoded, "t.txt").sheets[0].rows == (("项目", "金额"),)


def test_utf16_without_a_byte_order_mark_is_refused_with_a_hint():
    with pytest.raises(ParseError, match="UTF-16 without a byte-order mark"):
        read_document("项目名称\t金额\t绩效目标\n".encode("utf-16-le") * 3, "t.txt")


def test_csv_is_told_from_text_with_commas_in_amounts():
    pdf_text = "合计 67,522.75 67,522.75\n    工作经费 24.00 24.00\n满足需要，提高效率\n"
    document = read_document(pdf_text.encode(), "t.txt")
    assert document.format == "txt" and document.sheets[0].rows[0] == ("合计 67,522.75 67,522.75",)
    table = 'a,b,c\n1,"2,000.00",3\n4,5,6\n'
    document = read_document(table.encode(), "t.txt")
    assert document.format == "csv" and document.sheets[0].rows[1] == ("1", "2,000.00", "3")


def test_control_characters_are_binary():
    with pytest.raises(ParseError, match=r"t.txt, line 2: binary data, not text: control character U\+0007"):
        read_document("项目\n\x07x\n".encode(), "t.txt")


def _part(page: int, edges: tuple, rows: tuple, *, top: bool = True, bottom: bool = True) -> PageTable:
    return PageTable(page, 0.0, 1.0, edges, rows, (), (), at_page_top=top, at_page_bottom=bottom)


def test_pdf_tables_join_only_with_the_same_columns_on_the_next_page():
    first = _part(1, (10.0, 50.0, 90.0), (("项目", "金额"), ("a", "1")))
    same = _part(2, (10.5, 49.0, 90.0), (("项目", "金额"), ("b", "2")))
    assert continues(first, same)
    assert not continues(first, _part(2, (10.0, 70.0, 90.0), (("x", "y"),)))
    assert not continues(first, _part(3, (10.0, 50.0, 90.0), (("x", "y"),)))
    assert not continues(first, _part(2, (10.0, 50.0, 90.0), (("x", "y"),), top=False))
    assert not continues(_part(1, (10.0, 50.0, 90.0), (("x", "y"),), bottom=False), same)
    sheet = join([first, same], "表格1", 2)
    assert sheet.rows == (("项目", "金额"), ("a", "1"), ("b", "2"))  # the repeated header dropped
    assert sheet.row_pages == (1, 1, 2)


def test_page_furniture():
    assert all(is_furniture(s) for s in ("- 3 -", "第3页", "第 3 页 共 9 页", "3/9", "12", "Page 2 of 5"))
    assert not any(is_furniture(s) for s in ("2025年项目支出绩效目标表", "单位：万元", "合计 1,338.00"))
