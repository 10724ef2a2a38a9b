"""Hostile and broken files: each is refused with a ParseError that names the file and the place,
within bounded time (a pytest timeout guards against a hang) and bounded memory (tracemalloc)."""

from __future__ import annotations

import io
import os
import zipfile
import zlib

import docx
import msoffcrypto.format.ooxml
import pytest
from openpyxl import Workbook
from PIL import Image
from readers_support import FIXTURES, MB, refused, renderings
from reportlab.lib import pdfencrypt
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from indexer.errors import LimitExceededError
from indexer.readers import ReadLimits, read_document

__all__ = ["renderings"]  # the session fixture, imported for pytest


def _bomb(office_file: bytes, member: str, size: int) -> bytes:
    """The package with one XML member inflated by ``size`` bytes of spaces (compresses ~1000:1)."""
    source = zipfile.ZipFile(io.BytesIO(office_file))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename != member:
                target.writestr(info, data)
                continue
            with target.open(member, "w", force_zip64=True) as fh:
                fh.write(data)
                for _ in range(size // MB):
                    fh.write(b" " * MB)
    return out.getvalue()


def _pdf(pages: int, *, text: str | None = "page {n}", **kwargs: object) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, **kwargs)
    for n in range(pages):
        if text:
            c.drawString(100, 100, text.format(n=n + 1))
        c.showPage()
    c.save()
    return buf.getvalue()


def _pdf_with_content(payload: bytes) -> bytes:
    """A one-page PDF whose page content is the given Flate stream (written by hand: reportlab
    compresses what it draws, so it cannot make a bomb)."""
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(payload) + payload + b"\nendstream",
    ]
    out = io.BytesIO(b"%PDF-1.4\n")
    out.seek(0, io.SEEK_END)
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def _xlsx(fill) -> bytes:
    wb = Workbook()
    fill(wb.active)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _encrypted(office_file: bytes) -> bytes:
    out = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(office_file)).encrypt("secret", out)
    return out.getvalue()


@pytest.mark.timeout(60, func_only=True)
@pytest.mark.parametrize(
    ("fmt", "member"), [("xlsx", "xl/worksheets/sheet1.xml"), ("docx", "word/document.xml")]
)
def test_zip_bomb_is_refused_from_the_declared_sizes(renderings, fmt, member):
    office_file = renderings["seed-002"][fmt].read_bytes()
    bomb = _bomb(office_file, member, 300 * MB)
    assert len(bomb) < 2 * MB
    error = refused(bomb, f"bomb.{fmt}")
    assert isinstance(error, LimitExceededError)
    assert member in str(error) and "zip bomb" in str(error)
    # Below the ratio limit, the total uncompressed size stops it.
    error = refused(
        bomb, f"bomb.{fmt}", ReadLimits(max_compression_ratio=1e9, max_uncompressed_bytes=100 * MB)
    )
    assert "would expand to more than 100.0 MB" in str(error)


@pytest.mark.timeout(120, func_only=True)
def test_pdf_with_ten_thousand_pages_is_refused_from_its_page_count():
    error = refused(_pdf(10_000, text=None), "pages.pdf")
    assert isinstance(error, LimitExceededError)
    assert "10,000 pages" in str(error) and "before reading any page" in str(error)


@pytest.mark.timeout(60, func_only=True)
def test_pdf_lying_about_its_page_count_is_stopped_at_the_limit():
    honest = _pdf(50)
    lying = honest.replace(b"/Count 50", b"/Count 5 ")
    assert lying != honest
    error = refused(lying, "lying.pdf", ReadLimits(max_pages=10))
    assert str(error).startswith("lying.pdf, page 11:") and "limit of 10 pages" in str(error)


@pytest.mark.timeout(60, func_only=True)
def test_pdf_decompression_bomb_is_measured_before_pdfminer_inflates_it():
    deflate = zlib.compressobj(9)
    payload = b"".join(deflate.compress(b" " * MB) for _ in range(400)) + deflate.flush()
    bomb = _pdf_with_content(payload)
    assert len(bomb) < MB
    error = refused(bomb, "bomb.pdf")
    assert isinstance(error, LimitExceededError)
    assert str(error).startswith("bomb.pdf, page 1: decompression bomb?")
    # The same construction with a small, readable stream is read.
    text = zlib.compress(b"BT /F1 12 Tf 100 700 Td (hello) Tj ET")
    assert read_document(_pdf_with_content(text), "small.pdf").format == "pdf"


@pytest.mark.timeout(60, func_only=True)
def test_deeply_nested_html_is_refused_at_the_depth_limit():
    page = b"<html><body>\n" + b"<div>" * 100_000 + b"x" + b"</div>" * 100_000 + b"</body></html>"
    error = refused(page, "deep.html")
    assert isinstance(error, LimitExceededError)
    assert str(error).startswith("deep.html, line 2:") and "deeper than the limit of 200" in str(error)


@pytest.mark.timeout(60, func_only=True)
def test_huge_and_sparse_sheets_are_refused_by_the_cell_limit():
    def many(ws):
        for _ in range(300):
            ws.append(list(range(50)))

    error = refused(_xlsx(many), "many.xlsx", ReadLimits(max_cells=10_000))
    assert str(error).startswith("many.xlsx, sheet Sheet:") and "10,000 cells" in str(error)

    def far(ws):
        ws["A1"], ws["XFD1048576"] = "项目名称", "x"

    error = refused(_xlsx(far), "far.xlsx")
    assert "A1:XFD1048576" in str(error) and "1,000,000" in str(error)
    table = b"<table>" + b"<tr><td rowspan=65534 colspan=1000>x</td></tr>" * 3 + b"</table>"
    error = refused(table, "spans.html", ReadLimits(max_cells=2_000))
    assert str(error).startswith("spans.html, 表格1:")


def test_formula_gives_its_cached_value_or_empty_with_a_warning():
    def formulas(ws):
        ws["A1"], ws["A2"], ws["B1"], ws["B2"] = "合计", 10, "=SUM(A2:A3)", "=A2*2"

    plain = _xlsx(formulas)
    # openpyxl writes no cached values; give B2 one, as Excel does when it saves.
    source = zipfile.ZipFile(io.BytesIO(plain))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<f>A2*2</f><v></v>", b"<f>A2*2</f><v>20</v>")
                data = data.replace(b"<f>A2*2</f></c>", b"<f>A2*2</f><v>20</v></c>")
            target.writestr(info, data)
    document = read_document(out.getvalue(), "formulas.xlsx")
    rows = document.sheets[0].rows
    assert rows[1][1] == "20"  # the cached value, never evaluated
    assert rows[0][1] == ""  # no cached value: empty…
    (warning,) = document.warnings
    assert str(warning).startswith("formulas.xlsx, sheet Sheet, cell B1: formula without a cached value")


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_password_protected_office_files_are_refused(renderings, fmt):
    error = refused(_encrypted(renderings["seed-002"][fmt].read_bytes()), f"locked.{fmt}")
    assert "password-protected" in str(error)


def test_password_protected_pdf_is_refused_but_an_owner_password_alone_is_read():
    error = refused(_pdf(1, encrypt="secret"), "locked.pdf")
    assert "password-protected PDF" in str(error)
    owner_only = pdfencrypt.StandardEncryption("", ownerPassword="owner", canPrint=0)
    document = read_document(_pdf(1, encrypt=owner_only), "printable.pdf")
    assert document.sheets[0].lines == ("page 1",)


def test_scanned_and_blank_pdfs_say_what_is_missing():
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawImage(ImageReader(Image.new("L", (200, 100), 200)), 50, 50, 400, 200)
    c.showPage()
    c.save()
    error = refused(buf.getvalue(), "scan.pdf")
    assert "scanned PDF, no text layer (OCR it first" in str(error)
    assert "PDF without any text" in str(refused(_pdf(2, text=None), "blank.pdf"))


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "docx", "pdf", "html", "utf16.txt", "gb18030.csv"])
def test_truncated_files_are_refused(renderings, fmt):
    data = renderings["seed-002"][fmt].read_bytes()
    cut = len(data) // 2 + 1  # an odd length: inside a UTF-16 or GB18030 character too
    error = refused(data[:cut], f"cut.{fmt}")
    assert any(word in str(error) for word in ("truncated", "damaged")), str(error)


def test_csv_cut_inside_a_quoted_cell_is_refused_with_its_line():
    error = refused('项目名称,绩效目标\n测试,"未完\n'.encode(), "cut.csv")
    assert str(error).startswith("cut.csv, line 2:")


def test_text_cut_between_characters_is_read_with_a_warning(renderings):
    data = renderings["seed-002"]["csv"].read_bytes()
    document = read_document(data[: data.rindex(b"\n") - 3], "cut.csv")
    assert any("no line break at the end" in str(w) for w in document.warnings)


def test_content_decides_the_format_not_the_extension(renderings):
    pdf = renderings["seed-002"]["pdf"].read_bytes()
    document = read_document(pdf, "really-a-pdf.xlsx")
    assert document.format == "pdf"
    assert "named as xlsx but the content is pdf" in str(document.warnings[0])
    assert read_document(renderings["seed-002"]["xlsx"].read_bytes(), "table.pdf").format == "xlsx"
    error = refused(os.urandom(4096) + b"\x00", "random.pdf")
    assert "not a .pdf file (no %PDF- header)" in str(error) and "binary data" in str(error)


def test_binary_garbage_and_other_containers_are_refused():
    assert "binary data" in str(refused(bytes(range(256)) * 8, "garbage.txt"))
    assert "neither UTF-8 text" in str(refused(b"\x81\x20" * 100, "junk.txt"))
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("notes.txt", "项目")
    assert "neither an Excel workbook" in str(refused(plain_zip.getvalue(), "archive.xlsx"))
    assert "empty file" in str(refused(b"  \n", "blank.csv"))
    assert "empty file" in str(refused(b"", "nothing.xlsx"))


def test_legacy_word_file_is_refused_saying_what_it_is():
    doc = (FIXTURES / "legacy" / "synthetic-county-transport.doc").read_bytes()
    for name in ("forms.doc", "forms.xls"):  # the content decides, not the name
        error = refused(doc, name)
        assert "unsupported format: Word 97–2003 document (.doc); save it as .docx" in str(error)


def test_empty_workbooks_documents_and_pages_are_refused_and_empty_sheets_noted():
    assert "empty workbook" in str(refused(_xlsx(lambda ws: None), "empty.xlsx"))
    buf = io.BytesIO()
    docx.Document().save(buf)
    assert "empty document" in str(refused(buf.getvalue(), "empty.docx"))
    assert "empty HTML page" in str(refused(b"<html><body></body></html>", "empty.html"))

    def two_sheets(ws):
        ws["A1"] = "项目名称"
        ws.parent.create_sheet("空白")

    document = read_document(_xlsx(two_sheets), "partly.xlsx")
    assert [s.name for s in document.sheets] == ["Sheet"]
    assert [str(w) for w in document.warnings] == [
        "partly.xlsx, sheet 空白: empty worksheet (no cell with text)"
    ]


def test_time_limit_stops_a_read_and_says_where(renderings):
    error = refused(renderings["seed-002"]["pdf"].read_bytes(), "slow.pdf", ReadLimits(timeout_seconds=0))
    assert isinstance(error, LimitExceededError)
    assert str(error).startswith("slow.pdf, page 1: reading took longer than the limit of 0 s")


def test_file_over_the_size_limit_is_refused_before_reading(renderings):
    data = renderings["seed-002"]["xlsx"].read_bytes()
    error = refused(data, "big.xlsx", ReadLimits(max_bytes=1000))
    assert isinstance(error, LimitExceededError) and "over the limit of 1,000 bytes" in str(error)
