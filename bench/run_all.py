"""Run every benchmark script, then assemble bench/results/*.md into BENCHMARKS.md.

Each script runs in its own subprocess (so one's memory or a crash does not
affect the next), in the order of :data:`SCRIPTS`; scripts that do not exist
are skipped. A failing script is reported and the others still run; the exit
code is non-zero if any failed. ``make bench`` calls this.

    python bench/run_all.py                 # run all, then assemble
    python bench/run_all.py --skip bench_scale
    python bench/run_all.py --assemble-only
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
OUTPUT = REPO_ROOT / "BENCHMARKS.md"

SCRIPTS: tuple[str, ...] = (
    "bench_corpus",
    "bench_encoder",
    "bench_search",
    "eval_relevance",
    "bench_classifier",
    "bench_load",
    "bench_reuse",
    "bench_scale",
)
"""Known benchmark scripts in run order; any other ``bench_*.py`` / ``eval_*.py`` runs after
them (alphabetically) and bench_scale, by far the longest, runs last."""

SECTION_ORDER: tuple[str, ...] = (
    "summary",
    "corpus",
    "encoder",
    "search",
    "relevance",
    "classifier",
    "load",
    "reuse",
    "scale",
)
"""Result files (bench/results/<name>.md) in BENCHMARKS.md order; others follow alphabetically."""


def discover(bench_dir: Path = BENCH_DIR) -> list[str]:
    """Script names to run: :data:`SCRIPTS` first, other bench/eval scripts next, bench_scale last."""
    found = {p.stem for p in bench_dir.glob("bench_*.py")} | {p.stem for p in bench_dir.glob("eval_*.py")}
    known = [name for name in SCRIPTS if name != "bench_scale"]
    names = known + sorted(found - set(SCRIPTS))
    return [*names, "bench_scale"]


def run_scripts(names: Sequence[str]) -> list[tuple[str, int, float]]:
    """Run each existing ``bench/<name>.py`` with its defaults; returns (name, exit code, seconds)."""
    outcomes = []
    for name in names:
        script = BENCH_DIR / f"{name}.py"
        if not script.is_file():
            print(f"[run_all] {name}: not present, skipped", flush=True)
            continue
        print(f"[run_all] {name}: running", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=REPO_ROOT)
        seconds = time.perf_counter() - started
        print(f"[run_all] {name}: exit {code} after {seconds:.0f}s", flush=True)
        outcomes.append((name, code, seconds))
    return outcomes


def result_files(results_dir: Path = RESULTS_DIR) -> list[Path]:
    """The result markdown files in :data:`SECTION_ORDER`, then the rest by name."""
    files = {p.stem: p for p in results_dir.glob("*.md")}
    ordered = [files.pop(stem) for stem in SECTION_ORDER if stem in files]
    return ordered + [files[stem] for stem in sorted(files)]


def assemble(
    outcomes: Sequence[tuple[str, int, float]], output: Path = OUTPUT, results_dir: Path = RESULTS_DIR
) -> str:
    """Write BENCHMARKS.md: a short header, then every result file; returns the text."""
    parts = [
        "# Benchmarks",
        "",
        (
            "Assembled by `make bench` (`bench/run_all.py`) on "
            if outcomes
            else "Assembled by `python bench/run_all.py --assemble-only` from each script's last run on "
        )
        + f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Each section below is "
        "`bench/results/<name>.md`, written by one script in `bench/`; every section states its exact "
        "command, the machine and the same-process baseline its ratios refer to.",
        "",
    ]
    failed = [name for name, code, _ in outcomes if code != 0]
    if outcomes:
        ran = ", ".join(f"`{name}` ({seconds:.0f} s)" for name, _, seconds in outcomes)
        parts += [f"Scripts run: {ran}.", ""]
    if failed:
        parts += [
            "**Failed in this run** (their sections, if any, are from an earlier run): "
            + ", ".join(f"`{name}`" for name in failed),
            "",
        ]
    for path in result_files(results_dir):
        parts += [path.read_text(encoding="utf-8").strip(), ""]
    text = "\n".join(parts)
    output.write_text(text, encoding="utf-8")
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark scripts (or only assemble) and assemble BENCHMARKS.md; the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip", action="append", default=[], help="script name to skip (repeatable)")
    parser.add_argument("--assemble-only", action="store_true", help="do not run, only assemble results")
    args = parser.parse_args(argv)
    outcomes = [] if args.assemble_only else run_scripts([s for s in discover() if s not in args.skip])
    assemble(outcomes)
    print(f"[run_all] wrote {OUTPUT}", flush=True)
    return 1 if any(code != 0 for _, code, _ in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
