"""Hostile files and filters through the real ``jixiao`` entry point: a bad file exits 2 with one
line naming the file and the place (no traceback), and the corpus stays as it was."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pytest
from test_hostile_input import ROW, _with_raw_value, _workbook
from test_hostile_sheets import _docx_nested

from indexer.store import CorpusStore

FIXTURES = Path(__file__).parent / "fixtures"


def _merge_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_workbook(1000.0))) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                merge = b'<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>'
                body = body.replace(b"</sheetData>", b"</sheetData>" + merge)
            dst.writestr(info, body)
    return out.getvalue()


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(_workbook(1000.0)))
    with source as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info, src.read(info))
                continue
            with dst.open(info.filename, "w", force_zip64=True) as fh:
                fh.write(src.read(info))
                for _ in range(300):
                    fh.write(b" " * 2**20)
    return out.getvalue()


CASES = [
    (
        "nan.xlsx",
        lambda: _with_raw_value(_workbook(1000.0), f"B{ROW}", "NaN"),
        f"nan.xlsx, sheet 表, cell B{ROW}: numeric cell holds 'NaN'",
    ),
    ("表.et", lambda: bytes(range(256)) * 16, "表.et: unsupported format: WPS spreadsheet (.et)"),
    ("merge.xlsx", _merge_bomb, "merge.xlsx, sheet 表: the merged range A1:XFD1048576 covers 17,179,869,184"),
    ("bomb.xlsx", _zip_bomb, "bomb.xlsx: zip bomb? member xl/worksheets/sheet1.xml"),
    ("deep.docx", lambda: _docx_nested(5000), "deep.docx: the .docx document's XML is nested more than 256"),
]


@pytest.mark.parametrize(("name", "make", "said"), CASES, ids=[c[0] for c in CASES])
def test_ingest_of_a_hostile_file_is_one_line_and_changes_nothing(
    name, make, said, cli_settings, tmp_path, monkeypatch, capsys
):
    from api.cli import main

    settings = cli_settings()
    good = tmp_path / "good.txt"
    good.write_bytes((FIXTURES / "tsv_small.txt").read_bytes())
    monkeypatch.setattr(sys, "argv", ["jixiao", "ingest", str(good)])
    main()
    before = CorpusStore(settings.db_path).load()
    capsys.readouterr()
    bad = tmp_path / name
    bad.write_bytes(make())
    monkeypatch.setattr(sys, "argv", ["jixiao", "ingest", str(bad)])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert captured.err.startswith(f"error: {said}") and captured.err.count("\n") == 1, captured.err
    after = CorpusStore(settings.db_path).load()
    assert after.content_hash == before.content_hash and len(after.projects) == 3


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["search", "电商", "--district", "\x01\x02"], "error: district: blank"),
        (["search", "电商", "--min-amount", "nan"], "error: min_amount: not a number"),
        (["library", "\x01"], "error: q: blank"),
        (["benchmark", "\u200b"], "error: name: blank"),
    ],
)
def test_a_filter_of_only_controls_or_a_nan_amount_is_one_line(
    args, said, seed_cli_models, monkeypatch, capsys
):
    from api.cli import main

    monkeypatch.setattr(sys, "argv", ["jixiao", *args])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(said) and err.count("\n") == 1 and "Traceback" not in err, err


def test_a_bad_search_filter_is_told_before_the_index_is_looked_for(cli_settings, monkeypatch, capsys):
    """With no index built it said "search-index: no manifest.json" and never named the filter."""
    from api.cli import main

    cli_settings()
    monkeypatch.setattr(sys, "argv", ["jixiao", "search", "电商", "--district", "\x01"])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    assert capsys.readouterr().err.startswith("error: district: blank")
