"""Ingest behaviour: every file read before anything is written, every bad file named at once with
the place in it, ``--skip-bad``, ``--dry-run``, original bytes kept by content, on broken inputs of
every format (truncated, wrong extension, password-protected, scanned PDF, empty sheet)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from readers_support import renderings
from test_readers_broken import bad_attribute_docx, merge_bomb
from test_readers_hostile import _encrypted, _pdf
from typer.testing import CliRunner

from indexer.errors import BadFilesError, InvalidInputError, ParseError
from indexer.ingest import InputFile, read_path
from indexer.store import CorpusStore

__all__ = ["renderings"]

FIXTURES = Path(__file__).parent / "fixtures"


def _scanned_pdf() -> bytes:
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawImage(ImageReader(Image.new("L", (200, 100), 200)), 50, 50, 400, 200)
    c.showPage()
    c.save()
    return buf.getvalue()


def _header_only_xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "绩效目标表"
    ws.append(["部门名称：广州市商务局"])
    ws.append(
        ["项目名称（资金使用单位）", "总计", "财政拨款", "财政专户拨款", "其他资金", "绩效目标", "绩效指标"]
    )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def broken_inputs(renderings: dict) -> dict[str, tuple[bytes, str]]:
    """File name → (bytes, words its error must say): one broken file of each kind and format."""
    seed = renderings["seed-002"]
    cut = {fmt: seed[fmt].read_bytes() for fmt in ("xlsx", "xls", "docx", "pdf", "html", "utf16.txt")}
    tsv_cut = (FIXTURES / "tsv_cut_file.txt").read_bytes()
    return {
        **{f"cut.{fmt}": (data[: len(data) // 2 + 1], "") for fmt, data in cut.items()},
        "cut-rows.txt": (tsv_cut, "line 15: the file ends in the middle of a row"),
        "cut-row.csv": (
            seed["csv"].read_bytes().rsplit(b"\n", 3)[0] + b"\n",
            "合计 says",
        ),
        "not-really.pdf": (bytes(range(256)) * 16, "not a .pdf file"),
        "locked.xlsx": (_encrypted(seed["xlsx"].read_bytes()), "password-protected"),
        "locked.docx": (_encrypted(seed["docx"].read_bytes()), "password-protected"),
        "locked.pdf": (_pdf(1, encrypt="secret"), "password-protected PDF"),
        "scan.pdf": (_scanned_pdf(), "scanned PDF, no text layer"),
        "header-only.xlsx": (_header_only_xlsx(), "sheet 绩效目标表"),
        "empty.csv": (b" \n", "empty file"),
        "merged.xlsx": (merge_bomb(), "merged range A1:XFD1048576"),
        "span.docx": (bad_attribute_docx(), "表格1: damaged .docx document"),
    }


@pytest.fixture
def store(tmp_path: Path) -> CorpusStore:
    return CorpusStore(tmp_path / "models" / "corpus.sqlite")


def test_every_bad_file_is_named_with_its_place_and_nothing_is_written(renderings, store, tmp_path):
    good = InputFile("good.xlsx", renderings["seed-004"]["xlsx"].read_bytes())
    store.ingest([InputFile("first.txt", (FIXTURES / "tsv_small.txt").read_bytes())])
    db_before = store.db_path.read_bytes()
    bad = broken_inputs(renderings)
    with pytest.raises(BadFilesError) as info:
        store.ingest([good, *(InputFile(name, data) for name, (data, _) in bad.items())])
    failures = {f.file: f for f in info.value.failures}
    assert set(failures) == set(bad)  # every one, not the first only
    for name, (_, words) in bad.items():
        assert str(failures[name]).startswith(name), str(failures[name])
        assert words in str(failures[name]), str(failures[name])
        assert f"  {failures[name]}" in str(info.value)
    assert store.db_path.read_bytes() == db_before
    assert [s.file_name for s in store.load().sources] == ["first.txt"]


def test_positions_name_page_sheet_row_or_cell(renderings, store):
    with pytest.raises(ParseError) as info:
        store.ingest([InputFile("header-only.xlsx", _header_only_xlsx())])
    assert info.value.position is not None and info.value.position.sheet == "绩效目标表"
    text = (FIXTURES / "tsv_small.txt").read_text(encoding="utf-8").replace("200.00\t150.00", "两百\t150.00")
    with pytest.raises(ParseError) as info:
        store.ingest([InputFile("amount.txt", text.encode())])
    assert str(info.value).startswith("amount.txt, line 13, column 2: not an amount: '两百'")


def test_skip_bad_stores_the_good_ones_and_lists_the_bad(renderings, store):
    bad = broken_inputs(renderings)
    good = [
        InputFile("good.xlsx", renderings["seed-004"]["xlsx"].read_bytes()),
        InputFile("good.pdf", renderings["seed-002"]["pdf"].read_bytes()),
    ]
    report = store.ingest([*good, *(InputFile(n, d) for n, (d, _) in bad.items())], skip_bad=True)
    assert set(report.added) == {"good.xlsx", "good.pdf"}
    assert {exc.file for exc in report.skipped} == set(bad)
    assert f"{len(bad)} bad skipped" in str(report)
    corpus = store.load()
    assert {s.file_name for s in corpus.sources} == {"good.xlsx", "good.pdf"}
    assert {s.layout for s in corpus.sources} == {"tsv"}


def test_original_bytes_are_kept_by_content_never_by_name(renderings, store):
    data = renderings["seed-004"]["docx"].read_bytes()
    store.ingest([InputFile("../../etc/passwd.docx", data)])
    (source,) = store.load().sources
    assert store.original(source.sha256) == data
    kept = [p for p in store.originals_dir.rglob("*") if p.is_file()]
    assert [p.name for p in kept] == [source.sha256]
    assert not (store.db_path.parent.parent / "etc").exists()
    with pytest.raises(InvalidInputError):
        store.original("../../etc/passwd")


# ---------------------------------------------------------------- the CLI


@pytest.fixture
def models_dir(cli_settings) -> Path:
    return cli_settings().models_dir


def _files(tmp_path: Path, renderings: dict) -> tuple[list[Path], list[Path]]:
    good = [renderings["seed-004"]["xlsx"], renderings["seed-003"]["html"]]
    bad = []
    for name, (data, _) in list(broken_inputs(renderings).items())[:4]:
        bad.append(tmp_path / name)
        bad[-1].write_bytes(data)
    return good, bad


def test_cli_ingest_reports_every_bad_file_and_writes_nothing(models_dir, tmp_path, renderings):
    from api.cli import app

    good, bad = _files(tmp_path, renderings)
    result = CliRunner().invoke(app, ["ingest", *map(str, good + bad)])
    assert result.exit_code != 0
    message = str(result.exception)
    assert all(path.name in message for path in bad) and "4 files cannot be read" in message
    assert not (models_dir / "corpus.sqlite").exists() or not CorpusStore(models_dir / "corpus.sqlite").load()

    skipped = CliRunner().invoke(app, ["ingest", "--skip-bad", *map(str, good + bad)])
    assert skipped.exit_code == 0, skipped.output
    assert skipped.output.count("added") == 3  # two files and the summary
    assert sum(line.startswith("skipped") for line in skipped.output.splitlines()) == len(bad)


def test_cli_dry_run_shows_what_would_be_read_and_writes_nothing(models_dir, tmp_path, renderings):
    from api.cli import app

    good, bad = _files(tmp_path, renderings)
    result = CliRunner().invoke(app, ["ingest", "--dry-run", "--json", *map(str, good + bad)])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert not models_dir.exists()
    assert [f["file_name"] for f in data["failures"]] == [p.name for p in bad]
    assert all(f["position"]["file"] == f["file_name"] and f["message"] for f in data["failures"])
    preview = {f["file_name"]: f for f in data["files"]}
    expected = read_path(good[0]).table
    xlsx = preview[good[0].name]
    assert (xlsx["layout"], xlsx["score"]) == ("tsv", 1.0)
    assert xlsx["projects"] == len(expected.projects) == len(xlsx["items"])
    first = xlsx["items"][0]
    assert first["name"] == expected.projects[0].name_raw
    assert first["amounts"]["total"] == str(expected.projects[0].amounts.total)
    assert [i["level2_code"] for i in first["indicators"]] == [
        i.level2_code for i in expected.projects[0].indicators
    ]
    assert first["origin"]["sheet"] == "绩效目标表" and first["origin"]["row"] >= 1
    assert preview[good[1].name]["layout"] == "five_column"

    text = CliRunner().invoke(app, ["ingest", "--dry-run", str(good[0])])
    assert text.exit_code == 0
    assert "layout tsv (score 1.00" in text.output and "nothing written" in text.output
    assert expected.projects[0].name_raw in text.output
    assert not models_dir.exists()
