"""Benchmark of the file readers: files/s and MB/s per format, against the plain library call in the
same process, on the seed tables and the national forms rendered by tests/fixtures/render.py.

    python bench/bench_readers.py                 # 3 rounds, writes bench/results/readers.md
    python bench/bench_readers.py --rounds 1 --out /tmp/readers.md

Baselines (what a script that "just opens the file" would do, no limits, no merges, no positions):
xlsx ``openpyxl.load_workbook(data_only=True)`` and every sheet's ``values``; xls ``xlrd.open_workbook``
and every cell value; docx ``docx.Document`` and every table cell's text; pdf ``pdfplumber.open`` and
``pages[i].extract_tables()`` on every page; html ``lxml.html`` and every cell's text; csv/txt the
``csv`` module / tab split after decoding. Each round reads every file once with each side,
interleaved, and the median round is reported. Also: the time and peak allocation (tracemalloc) to
refuse the hostile files of the tests.
"""

from __future__ import annotations

import argparse
import csv
import io
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from machine import load_average, load_note

LOAD_AT_START = load_average()
BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULT = BENCH_DIR / "results" / "readers.md"
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "tests" / "fixtures"))

import docx  # noqa: E402
import lxml.html  # noqa: E402
import openpyxl  # noqa: E402
import pdfplumber  # noqa: E402
import render  # noqa: E402
import xlrd  # noqa: E402

from indexer.errors import ParseError  # noqa: E402
from indexer.readers import ReadLimits, read_document  # noqa: E402

MB = 2**20


def _openpyxl(data: bytes) -> object:
    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    return [list(ws.values) for ws in wb.worksheets]


def _xlrd(data: bytes) -> object:
    book = xlrd.open_workbook(file_contents=data)
    return [[sh.row_values(r) for r in range(sh.nrows)] for sh in book.sheets()]


def _python_docx(data: bytes) -> object:
    document = docx.Document(io.BytesIO(data))
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]


def _pdfplumber(data: bytes) -> object:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [pdf.pages[i].extract_tables() for i in range(len(pdf.pages))]


def _lxml(data: bytes) -> object:
    root = lxml.html.fromstring(data)
    return [[td.text_content() for td in tr] for tr in root.iter("tr")]


def _csv(data: bytes) -> object:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _tsv(data: bytes) -> object:
    return [line.split("\t") for line in data.decode("utf-16").splitlines()]


# rendering → (format label, baseline label, baseline, what the reader does beyond it)
FORMATS: dict[str, tuple[str, str, Callable[[bytes], object], str]] = {
    "xlsx": ("xlsx", "openpyxl.load_workbook + values", _openpyxl, "cell/formula prescan, merges, formats"),
    "xls": ("xls", "xlrd.open_workbook + values", _xlrd, "formatting_info (merges, number formats)"),
    "docx": ("docx", "docx.Document + cell.text", _python_docx, "zip check, spans, body text"),
    "html": ("html", "lxml.html + text_content", _lxml, "depth-checked parse, table model, text"),
    "csv": ("csv", "csv.reader", _csv, "decoding sniff, csv sniff, lines"),
    "utf16.txt": ("txt (UTF-16)", "decode + split", _tsv, "decoding sniff, lines"),
    "pdf": ("pdf", "pdfplumber extract_tables", _pdfplumber, "text layer (layout), spans, joins"),
}  # fmt: skip


def _files(renderings: dict[str, dict[str, Path]], fmt: str, kind: str) -> list[bytes]:
    stems = [s for s in renderings if s.startswith("seed-") == (kind == "seed") and not s.endswith("-merged")]
    out = []
    for stem in stems:
        path = render.XLS_DIR / f"{stem}.xls" if fmt == "xls" else renderings[stem].get(fmt)
        if path is not None and path.exists():
            out.append(path.read_bytes())
    return out


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(
    files: list[bytes], fmt: str, baseline: Callable[[bytes], object], rounds: int
) -> dict[str, float]:
    """Median seconds per round for the reader and the baseline over ``files``."""
    ours, base = [], []
    names = [f"f{i}.{fmt}" for i in range(len(files))]
    for _ in range(rounds):
        ours.append(_time(lambda: [read_document(d, n) for d, n in zip(files, names, strict=True)]))
        base.append(_time(lambda: [baseline(d) for d in files]))
    return {"ours": statistics.median(ours), "base": statistics.median(base)}


def hostile_rows() -> list[str]:
    """Time and peak allocation to refuse the hostile files (built the way the tests build them)."""
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    from test_readers_hostile import _bomb, _pdf  # the same constructions as the tests

    with tempfile.TemporaryDirectory() as tmp:
        source = render.load_sources()
        seed = next(s for s in source if s.stem == "seed-002")
        render.write_xlsx(seed, Path(tmp) / "s.xlsx")
        xlsx = (Path(tmp) / "s.xlsx").read_bytes()
    bomb = _bomb(xlsx, "xl/worksheets/sheet1.xml", 300 * MB)
    cases = [
        ("zip bomb .xlsx (300 MB member in 0.3 MB)", bomb, "b.xlsx"),
        ("PDF of 10,000 pages", _pdf(10_000, text=None), "p.pdf"),
        ("HTML nested 100,000 deep", b"<html><body>" + b"<div>" * 100_000 + b"</body></html>", "d.html"),
    ]
    rows = []
    for label, data, name in cases:
        tracemalloc.start()
        start = time.perf_counter()
        try:
            read_document(data, name, ReadLimits())
            outcome = "read (!)"
        except ParseError as exc:
            outcome = type(exc).__name__
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()
        rows.append(f"| {label} | {len(data) / MB:,.2f} | {seconds:.3f} | {peak:,.1f} | {outcome} |")
    return rows


def main() -> None:
    """Time every reader on the rendered seed tables and write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        renderings = render.render_all(Path(tmp))
        lines = []
        for kind, label in (("seed", "seed tables (5 files)"), ("national", "national forms")):
            lines += [
                f"### {label}",
                "",
                "| format | files | MB | reader files/s | reader MB/s | baseline | baseline files/s | "
                "baseline MB/s | reader ÷ baseline time | the reader also does |",
                "|---|---:|---:|---:|---:|---|---:|---:|---:|---|",
            ]
            for fmt, (name, base_label, baseline, extra) in FORMATS.items():
                files = _files(renderings, fmt, kind)
                if not files:
                    continue
                size = sum(len(d) for d in files) / MB
                t = measure(files, fmt, baseline, args.rounds)
                n = len(files)
                ours = f"{n / t['ours']:,.1f} | {size / t['ours']:.2f}"
                base = f"{n / t['base']:,.1f} | {size / t['base']:.2f}"
                ratio = t["ours"] / t["base"]
                cells = [name, str(n), f"{size:.2f}", ours, base_label, base, f"{ratio:.2f}", extra]
                lines.append("| " + " | ".join(cells) + " |")
                print(lines[-1], flush=True)
            lines.append("")
    hostile = hostile_rows()
    note = load_note(LOAD_AT_START)
    text = "\n".join(
        [
            "## File readers",
            "",
            f"Command: `python bench/bench_readers.py --rounds {args.rounds}`",
            "",
            f"Machine: {platform.machine()}, 2 cores, Python {platform.python_version()}; {note} The machine "
            "is shared with other helpers' jobs; each ratio compares reader and baseline on the same files "
            "in the same process, rounds interleaved, median round.",
            "",
            "Files: tests/fixtures/render.py renderings of the five seed tables (.pdf: ruled tables over "
            "several pages with split rows) and of the national forms (tests/fixtures/national: the real "
            "transcriptions and the synthetic ones); .xls are the committed "
            "LibreOffice conversions. `reader` is `indexer.readers.read_document` with default `ReadLimits`.",
            "",
            *lines,
            "### hostile files (default limits)",
            "",
            "| file | MB | seconds to refuse | peak allocation MB (tracemalloc) | outcome |",
            "|---|---:|---:|---:|---|",
            *hostile,
            "",
        ]
    )
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
