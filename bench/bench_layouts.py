"""Benchmark of the national-form and long-table interpreters: forms per second on the rendered fixtures,
against reading the same files (the reader alone, and the plain library call) in the same process.

    python bench/bench_layouts.py                 # 3 rounds, writes bench/results/layouts.md
    python bench/bench_layouts.py --rounds 1 --out /tmp/layouts.md

The files are every real and synthetic national form and long table of tests/fixtures/national,
rendered by tests/fixtures/render.py (.xlsx with openpyxl, .docx with python-docx). Each round reads
every file, then detects and interprets every document, then runs the baseline; the median round is
reported. "1,000 forms" extrapolates read + detect + interpret per form (one project each on average).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from machine import load_average, load_note

LOAD_AT_START = load_average()
BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULT = BENCH_DIR / "results" / "layouts.md"
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "tests" / "fixtures"))

import docx  # noqa: E402
import openpyxl  # noqa: E402
import render  # noqa: E402

from indexer.errors import ParseError  # noqa: E402
from indexer.layouts import interpret  # noqa: E402
from indexer.readers import read_document  # noqa: E402


def _openpyxl(data: bytes) -> object:
    return [list(ws.values) for ws in openpyxl.load_workbook(io.BytesIO(data)).worksheets]


def _python_docx(data: bytes) -> object:
    return [[c.text for r in t.rows for c in r.cells] for t in docx.Document(io.BytesIO(data)).tables]


BASELINES = {
    "xlsx": ("openpyxl.load_workbook + values", _openpyxl),
    "docx": ("docx.Document + cell.text", _python_docx),
}


def _interpret_all(documents: list) -> int:
    """Detect and interpret every document; the number of projects read."""
    projects = 0
    for document in documents:
        with contextlib.suppress(ParseError):  # 潼南 五桂镇: refused on purpose (no level columns)
            projects += len(interpret(document).table.projects)
    return projects


def _median(fn: object, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(rounds: int) -> str:
    """The results section (markdown)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sources = [s for s in render.load_sources() if not s.stem.startswith("seed-")]
        files: dict[str, list[tuple[str, bytes]]] = {fmt: [] for fmt in BASELINES}
        for source in sources:
            for fmt, path in render.render(source, Path(tmp)).items():
                if fmt in files:
                    files[fmt].append((path.name, path.read_bytes()))
        for fmt, (label, baseline) in BASELINES.items():
            documents = [read_document(data, name) for name, data in files[fmt]]
            projects = _interpret_all(documents)
            read = _median(lambda f=files[fmt]: [read_document(d, n) for n, d in f], rounds)
            layout = _median(lambda d=documents: _interpret_all(d), rounds)
            base = _median(lambda f=files[fmt], b=baseline: [b(d) for _, d in f], rounds)
            n = len(documents)
            per_form = (read + layout) / max(projects, 1)
            rows.append(
                f"| {fmt} | {n} | {projects} | {1000 * layout / n:.1f} | {n / layout:,.0f} | "
                f"{1000 * read / n:.1f} | {1000 * base / n:.1f} ({label}) | {layout / base:.2f} | "
                f"{1000 * per_form:.1f} s |"
            )
    head = (
        "| format | files | projects | detect + interpret ms/file | files/s | read ms/file | "
        "baseline ms/file | interpret ÷ baseline | 1,000 forms (read + interpret) |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    return "\n".join(
        [
            "## Layouts (national forms and long tables)",
            "",
            f"Command: `python bench/bench_layouts.py --rounds {rounds}` — "
            f"{platform.processor() or platform.machine()}, Python {platform.python_version()}. "
            f"{load_note(LOAD_AT_START)}",
            "",
            head,
            *rows,
            "",
        ]
    )


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    text = run(args.rounds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
