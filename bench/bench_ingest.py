"""Benchmark of the whole ingest read (reader + layout interpreter, ``indexer.ingest.read_source``) per
format against the plain library call in the same run, and the time to ingest 1,000 one-project
national forms into a fresh corpus.

    python bench/bench_ingest.py                  # writes bench/results/ingest.md
    python bench/bench_ingest.py --rounds 1 --forms 200 --out /tmp/ingest.md

Files: the seed tables and the national forms rendered by tests/fixtures/render.py (the .xls are the
committed ones). Baselines are those of bench_readers.py (``openpyxl.load_workbook`` + values,
``pdfplumber`` ``extract_tables()`` on every page …): they open the file and return cells, nothing
more. The 1,000 forms are one national fixture (synthetic-hanyin-water) rendered as .xlsx 1,000
times with the project name varied; they are ingested by ``CorpusStore.ingest`` (every file read,
then one transaction) in one process.
"""

from __future__ import annotations

import argparse
import copy
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_readers import FORMATS, MB, _files, render
from machine import load_average, load_note

LOAD_AT_START = load_average()
BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULT = BENCH_DIR / "results" / "ingest.md"
FORM_STEM = "synthetic-hanyin-water"
sys.path.insert(0, str(REPO_ROOT))

from indexer.errors import ParseError  # noqa: E402
from indexer.ingest import read_source  # noqa: E402
from indexer.store import CorpusStore  # noqa: E402


def _read_all(files: list[bytes], fmt: str) -> int:
    """Read and interpret every file; the number that could not be read (a failure is timed too)."""
    bad = 0
    for i, data in enumerate(files):
        try:
            read_source(data, f"f{i}.{fmt}")
        except ParseError:
            bad += 1
    return bad


def measure(files: list[bytes], fmt: str, rounds: int) -> dict[str, float]:
    """Median seconds per round of read+interpret and of the baseline, interleaved."""
    baseline = FORMATS[fmt][2]
    ours, base, bad = [], [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        bad = _read_all(files, fmt)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        for data in files:
            baseline(data)
        base.append(time.perf_counter() - start)
    return {"ours": statistics.median(ours), "base": statistics.median(base), "bad": bad}


def national_forms(out_dir: Path, count: int) -> list[Path]:
    """``count`` .xlsx renderings of one national form, each with its own project name."""
    source = next(s for s in render.load_sources() if s.stem == FORM_STEM)
    paths = []
    for k in range(count):
        varied = copy.deepcopy(source)
        form = varied.forms[0]
        for row in form.rows:
            for c, cell in enumerate(row[:-1]):
                if cell.strip() == "项目名称":
                    row[c + 1] = f"{row[c + 1]}（第{k + 1}批）"
        varied.stem = f"form-{k:04d}"
        paths.append(out_dir / f"{varied.stem}.xlsx")
        render.write_xlsx(varied, paths[-1])
    return paths


def ingest_forms(paths: list[Path], db_dir: Path) -> dict[str, float]:
    """Seconds to ingest the forms into a fresh store (every file read, then one transaction)."""
    start = time.perf_counter()
    store = CorpusStore(db_dir / "corpus.sqlite")
    report = store.ingest(paths)
    seconds = time.perf_counter() - start
    assert len(report.added) == len(paths), report
    return {"seconds": seconds, "files": len(report.added), "projects": len(store.load())}


def main() -> None:
    """Render, measure, write the results file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--forms", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        renderings = render.render_all(Path(tmp) / "r")
        rows = []
        for fmt, (label, base_label, _, _) in FORMATS.items():
            for kind in ("seed", "national"):
                files = _files(renderings, fmt, kind)
                if not files:
                    continue
                m = measure(files, fmt, args.rounds)
                size = sum(len(f) for f in files) / MB
                rows.append(
                    f"| {label} | {kind} | {len(files)} | {size:.2f} | {len(files) / m['ours']:.1f} | "
                    f"{size / m['ours']:.2f} | {len(files) / m['base']:.1f} | {m['base'] / m['ours']:.2f} | "
                    f"{m['bad']} | {base_label} |"
                )
                print(rows[-1], flush=True)
        forms_dir = Path(tmp) / "forms"
        forms_dir.mkdir()
        start = time.perf_counter()
        paths = national_forms(forms_dir, args.forms)
        render_s = time.perf_counter() - start
        forms = ingest_forms(paths, Path(tmp) / "db")
    lines = [
        "## Ingest: read + interpret per format, and 1,000 national forms",
        "",
        f"`python bench/bench_ingest.py --rounds {args.rounds} --forms {args.forms}` on {platform.machine()} "
        f"({platform.python_version()}), median of {args.rounds} interleaved rounds. "
        f"{load_note(LOAD_AT_START)}",
        "",
        "Ours = `indexer.ingest.read_source` (reader with its limits, merges and positions, then layout "
        "detection by every interpreter and the best one's interpretation into projects); baseline = the "
        "plain library call that only returns cells. ratio = baseline time ÷ ours (below 1: ours slower).",
        "",
        "| format | files | n | MB | ours files/s | ours MB/s | baseline files/s | ratio | unread "
        "| baseline |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        f"**{forms['files']:,} one-project national forms** (.xlsx of {FORM_STEM}, names varied; "
        f"rendering them took {render_s:.1f} s, not counted): `CorpusStore.ingest` of the paths in one "
        f"process **{forms['seconds']:.1f} s** ({forms['files'] / forms['seconds']:.0f} files/s, "
        f"{forms['projects']:,} projects stored in one transaction). Target: under 60 s on 2 cores.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
