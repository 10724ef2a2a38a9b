"""CLI start-up of the commands that load the encoder: this tree vs a baseline tree, one run.

    JIXIAO_BENCH_LOCKED=1 flock /work/brief/bench.lock .venv/bin/python bench/bench_cli.py \\
        [--baseline TREE | --baseline-rev ec1f130] [--models-dir models]

Each command (``jixiao search``, ``jixiao classify``) is a fresh interpreter with the same
venv and the same built models dir, the code taken from ``PYTHONPATH``: this tree, then the
baseline tree (a ``git worktree`` at the commit before issue 12's start-up work), alternating,
``--repeat`` times each. The models dir must hold an index with the stored BM25 matrix
(built by this tree); the baseline ignores it and rebuilds BM25 as it always did. Reports
median wall and CPU (user + system) seconds per command and the baseline / this ratio.
Writes bench/results/cli.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import load_average, locked_command_line, machine_line, write_report

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "cli.md"
COMMANDS = {"search": ["search", "道路建设"], "classify": ["classify", "资金拨付及时率"]}
TARGET_S = 3.0
BASELINE_REV = "ec1f130"  # the last commit before issue 12's start-up work


def run_once(tree: Path, models: Path, argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``jixiao`` command run with ``tree``'s code."""
    env = {**os.environ, "PYTHONPATH": str(tree), "JIXIAO_MODELS_DIR": str(models)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", "from api.cli import main; main()", *argv],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: jixiao {' '.join(argv)} failed:\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--baseline", type=Path, help="tree of the baseline commit (default: a temporary worktree)"
    )
    parser.add_argument(
        "--baseline-rev", default=BASELINE_REV, help="commit of the temporary baseline worktree"
    )
    parser.add_argument("--models-dir", type=Path, default=REPO / "models")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.baseline is None:
        with tempfile.TemporaryDirectory(prefix="bench-cli-base-") as tmp:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "add", "--detach", tmp, args.baseline_rev], check=True
            )
            try:
                measure(args, Path(tmp))
            finally:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", tmp], check=False)
    else:
        measure(args, args.baseline)


def measure(args: argparse.Namespace, baseline: Path) -> None:
    """Time both trees and write the results file."""
    args.baseline = baseline
    baseline_rev = subprocess.run(
        ["git", "-C", str(args.baseline), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    this_rev = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    load_before = load_average()
    trees = {"this": REPO, "baseline": args.baseline}
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for name, argv in COMMANDS.items():
        for tree in trees:  # warm the page cache for both trees before timing
            run_once(trees[tree], args.models_dir, argv)
        for _ in range(args.repeat):
            for tree, path in trees.items():
                times.setdefault((name, tree), []).append(run_once(path, args.models_dir, argv))
        print(name, {t: times[(name, t)] for t in trees}, flush=True)
    load_after = load_average()

    def med(name: str, tree: str, i: int) -> float:
        return statistics.median(x[i] for x in times[(name, tree)])

    lines = [
        "# CLI start-up",
        "",
        locked_command_line(f"bench_cli.py --baseline {args.baseline} --models-dir {args.models_dir}"),
        "",
        machine_line(load_before, load_after),
        "",
        f"This tree {this_rev.stdout.strip()} vs baseline {baseline_rev} (ONNX encoder, both), same venv and "
        f"models dir, fresh interpreter per command, alternating, median of {args.repeat} after one warm-up "
        "each. CPU = user + system seconds of the child.",
        "",
        "| command | this wall s | this CPU s | baseline wall s | baseline CPU s | CPU baseline / this |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, argv in COMMANDS.items():
        lines.append(
            f"| `jixiao {' '.join(argv)}` | {med(name, 'this', 0):.2f} | {med(name, 'this', 1):.2f} | "
            f"{med(name, 'baseline', 0):.2f} | {med(name, 'baseline', 1):.2f} | "
            f"{med(name, 'baseline', 1) / med(name, 'this', 1):.2f}× |"
        )
    worst = max(med(n, "this", 0) for n in COMMANDS)
    lines += [
        "",
        f"Target ≤ {TARGET_S:.0f} s wall: {'**met**' if worst <= TARGET_S else '**not met**'} "
        f"(slowest median {worst:.2f} s).",
    ]
    write_report(args.out, lines)


if __name__ == "__main__":
    main()
