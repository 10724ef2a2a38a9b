"""Small broken and hostile files beyond test_readers_hostile: merged ranges that would fill
millions of cells, damaged package parts, sheets of empty rows, GBK and BOM text. Each is
read or refused with a ParseError naming the file and the place, in bounded memory."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from openpyxl import Workbook
from readers_support import refused

from indexer.errors import LimitExceededError
from indexer.readers import read_document

_FORM = (
    "项目名称,绩效目标,一级指标,二级指标,三级指标,指标值\n"
    "测试项目,完成培训,产出指标,数量指标,培训人数,>=100人\n"
)


def _xlsx(*rows: list[object]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _docx_table() -> bytes:
    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "项目名称"
    table.cell(1, 0).text = "测试"
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _patched(package: bytes, member: str, change) -> bytes:
    """The package with one member's bytes changed (``change`` returns None: member left out)."""
    source = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == member:
                data = change(data)
            if data is not None:
                target.writestr(info, data)
    return out.getvalue()


def merge_bomb() -> bytes:
    """4 KB of .xlsx whose one merged range covers the whole sheet (openpyxl would make
    17 billion MergedCell objects: the machine's memory)."""
    return _patched(
        _xlsx(["项目名称", "x"]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(
            b"</sheetData>",
            b'</sheetData><mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>',
        ),
    )


def bad_attribute_docx() -> bytes:
    """A Word table whose first cell has ``w:gridSpan="abc"`` (python-docx fails only when read)."""
    return _patched(
        _docx_table(),
        "word/document.xml",
        lambda xml: xml.replace(b"<w:tcPr>", b'<w:tcPr><w:gridSpan w:val="abc"/>', 1),
    )


@pytest.mark.timeout(60, func_only=True)
def test_a_merged_range_over_the_whole_sheet_is_refused_before_openpyxl_fills_it():
    bomb = merge_bomb()
    error = refused(bomb, "merged.xlsx")
    assert isinstance(error, LimitExceededError)
    assert str(error).startswith("merged.xlsx, sheet Sheet:")
    assert "merged range A1:XFD1048576 covers 17,179,869,184 cells" in str(error)


def test_a_merged_range_that_is_no_range_is_refused_naming_the_sheet():
    broken = _patched(
        _xlsx(["项目名称", "x"]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(
            b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="ZZ:A"/></mergeCells>'
        ),
    )
    error = refused(broken, "badmerge.xlsx")
    assert str(error).startswith("badmerge.xlsx, sheet Sheet:") and "'ZZ:A' is no cell range" in str(error)


@pytest.mark.timeout(60, func_only=True)
def test_word_cells_spanning_five_million_columns_are_refused_before_the_grid_is_built():
    def wide(xml: bytes) -> bytes:
        return xml.replace(b"<w:tcPr>", b'<w:tcPr><w:gridSpan w:val="5000000"/>')

    error = refused(_patched(_docx_table(), "word/document.xml", wide), "wide.docx")
    assert isinstance(error, LimitExceededError)
    assert str(error).startswith("wide.docx, 表格1:") and "1,000,000 cells" in str(error)


def test_damaged_package_parts_are_refused_naming_the_part_or_the_file():
    workbook = _xlsx(["项目名称", "x"])
    half = _patched(workbook, "xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) // 2])
    assert str(refused(half, "half.xlsx")).startswith("half.xlsx, sheet Sheet: damaged")
    missing = _patched(workbook, "xl/worksheets/sheet1.xml", lambda xml: None)
    assert "xl/worksheets/sheet1.xml is missing" in str(refused(missing, "missing.xlsx"))
    cut = _patched(_docx_table(), "word/document.xml", lambda xml: xml[: len(xml) // 2])
    assert "damaged" in str(refused(cut, "cut.docx"))


def test_a_sheet_with_a_hundred_thousand_empty_styled_rows_reads_its_table():
    row = b'<row r="%d" ht="15" customHeight="1"><c r="A%d" s="0"/></row>'
    rows = b"".join(row % (r, r) for r in range(3, 100_003))
    padded = _patched(
        _xlsx(["项目名称", "测试"], ["绩效目标", "完成"]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"</sheetData>", rows + b"</sheetData>").replace(
            b'ref="A1:B2"', b'ref="A1:B100002"'
        ),
    )
    document = read_document(padded, "padded.xlsx")
    assert document.sheets[0].rows == (("项目名称", "测试"), ("绩效目标", "完成"))


@pytest.mark.parametrize(
    ("encoding", "prefix"), [("gbk", b""), ("gb18030", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b"")]
)
def test_gbk_gb18030_and_bom_text_is_read(encoding, prefix):
    document = read_document(prefix + _FORM.encode(encoding), f"form-{encoding}.csv")
    assert document.sheets[0].rows[0][0] == "项目名称"  # no BOM left in the first cell
    assert document.sheets[0].rows[1][-1] == ">=100人"


def test_a_bad_attribute_in_a_word_table_is_refused_naming_the_table():
    error = refused(bad_attribute_docx(), "span.docx")
    assert str(error).startswith("span.docx, 表格1: damaged .docx document") and "'abc'" in str(error)


def test_a_library_error_no_reader_expected_is_refused_naming_the_file(monkeypatch):
    from indexer.readers.docx import DocxReader

    def fails(self, data, file_name, limits):
        raise KeyError("w:val")  # as a library deep inside a damaged part would

    monkeypatch.setattr(DocxReader, "read", fails)
    error = refused(_docx_table(), "odd.docx")
    assert str(error) == "odd.docx: damaged docx file, it cannot be read: KeyError: 'w:val'"
